#include "launcher/control_channel.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

#include "common/errors.hpp"
#include "common/log.hpp"
#include "common/stop_signal.hpp"
#include "launcher/control_peer.hpp"
#include "net/blocking_tls.hpp"

namespace ringsim {

// The control connection is idle for the whole job: keepalive probes after
// 10 s of silence, every 5 s, 3 unanswered -> the peer is gone (~25 s).
void enable_keepalive(int fd) {
  int one = 1, idle = 10, interval = 5, count = 3;
  ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
}

ControlLink::ControlLink(Socket socket, std::unique_ptr<BlockingTls> tls)
    : socket_(std::move(socket)), tls_(std::move(tls)) {}
ControlLink::~ControlLink() = default;
ControlLink::ControlLink(ControlLink&&) noexcept = default;

void ControlLink::write_all(const std::string& text, Deadline deadline, const std::string& what) {
  const std::span<const std::byte> bytes{reinterpret_cast<const std::byte*>(text.data()), text.size()};
  if (tls_)
    tls_->write_all(bytes, deadline);
  else
    write_exact(socket_.fd(), bytes, deadline, what);
}

char ControlLink::read_byte(Deadline deadline, const std::string& what) {
  char c = 0;
  const std::span<std::byte> byte{reinterpret_cast<std::byte*>(&c), 1};
  if (tls_)
    tls_->read_some(byte, deadline);
  else
    read_exact(socket_.fd(), byte, deadline, what);
  return c;
}

std::string resolve_host(const std::string& host, Deadline deadline) {
  auto backoff = std::chrono::milliseconds(100);
  for (;;) {
    const auto address = lookup_ipv4(host);
    if (!address.numeric.empty()) return address.numeric;
    if (std::chrono::steady_clock::now() + backoff > deadline)
      throw TimeoutError("host name " + host + " did not resolve: " + address.error);
    throw_if_stopped();
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
  }
}

using Clock = std::chrono::steady_clock;

// A TLS failure that trying again cannot mend: a certificate or job secret
// refused by either side, or a peer that does not speak TLS (a worker answering
// RSIMFAIL, see refuse_all).
bool is_refusal(const std::string& what) {
  return what.rfind("TLS: refused ", 0) == 0 || what.find(" refused this rank's certificate") != std::string::npos ||
         what.find(" refused the certificate of ") != std::string::npos ||
         what.find(" refused this host's certificate") != std::string::npos ||
         what.find(" refused this host's job secret") != std::string::npos;
}

// The TLS layer speaks of ranks; here the peers are hosts.
std::string as_host(std::string what, const std::string& self) {
  const std::string rank_words = "this rank's certificate";
  if (const auto at = what.find(rank_words); at != std::string::npos)
    what.replace(at, rank_words.size(), self.empty() ? "this host's certificate" : "the certificate of " + self);
  return what;
}

std::string peer_address(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0 || address.ss_family != AF_INET) return "";
  char text[INET_ADDRSTRLEN];
  ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&address)->sin_addr, text, sizeof text);
  return text;
}

// Reads one line (without its '\n') of at most 2000 bytes, plain.
std::string read_plain_line(int fd, Deadline deadline, const std::string& what) {
  std::string line;
  for (char c = 0; line.size() < 2000;) {
    read_exact(fd, {reinterpret_cast<std::byte*>(&c), 1}, deadline, what);
    if (c == '\n') break;
    line += c;
  }
  return line;
}

void wait_for_sshd(const Endpoint& where, Deadline deadline, const std::string& what) {
  auto backoff = std::chrono::milliseconds(100);
  std::string last_error;
  for (;;) {
    try {
      Socket probe = connect_to(where, deadline);
      const std::string banner =
          read_plain_line(probe.fd(), std::min(deadline, Clock::now() + std::chrono::seconds(5)), what);
      if (banner.rfind("SSH-", 0) == 0) {
        const std::string ours = "SSH-2.0-ringsim_probe\r\n";
        write_exact(probe.fd(), {reinterpret_cast<const std::byte*>(ours.data()), ours.size()},
                    Clock::now() + std::chrono::seconds(2), what);
        return;
      }
      last_error = "it answered '" + banner.substr(0, 80) + "', not an SSH identification";
    } catch (const StoppedError&) {
      throw;
    } catch (const Error& e) {
      last_error = e.what();
    }
    if (Clock::now() + backoff >= deadline) throw TimeoutError(what + " never became reachable: " + last_error);
    throw_if_stopped();
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
  }
}

}  // namespace ringsim
