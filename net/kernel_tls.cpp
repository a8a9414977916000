#include "net/kernel_tls.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/crypto.h>
#include <sys/socket.h>
#include <unistd.h>

#include <initializer_list>

#ifndef TCP_ULP
#define TCP_ULP 31  // linux/tcp.h; older libc headers lack it
#endif

namespace ringsim {

namespace {

// A loopback pair: does the kernel accept the `tls` upper-layer protocol on it?
bool probe_kernel_tls() {
  const auto close_all = [](std::initializer_list<int> fds) {
    for (int fd : fds)
      if (fd >= 0) ::close(fd);
  };
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), client = -1, accepted = -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  bool offered = false;
  if (listener >= 0 && ::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::listen(listener, 1) == 0 && ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) == 0 &&
      (client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0 &&
      ::connect(client, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      (accepted = ::accept(listener, nullptr, nullptr)) >= 0)
    offered = ::setsockopt(client, IPPROTO_TCP, TCP_ULP, "tls", sizeof "tls") == 0;
  close_all({listener, client, accepted});
  return offered;
}

}  // namespace

bool kernel_offers_tls() {
  static const bool offered = probe_kernel_tls();
  return offered;
}

std::string describe_tls_records(bool kernel_send, bool kernel_receive) {
  std::string text = std::string(OpenSSL_version(OPENSSL_VERSION)) + " record layer";
  if (kernel_send || kernel_receive)
    text += std::string("; kernel TLS: ") + (kernel_send && kernel_receive ? "send and receive"
                                             : kernel_send                 ? "send"
                                                                           : "receive");
  return text;
}

}  // namespace ringsim
