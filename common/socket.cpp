#include "common/socket.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <thread>

#include "common/clock.hpp"
#include "common/errors.hpp"
#include "common/stop_signal.hpp"

namespace ringsim {

namespace {

int remaining_ms(Deadline deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return static_cast<int>(std::max<std::int64_t>(0, std::min<std::int64_t>(left.count(), 1000)));
}

sockaddr_storage to_sockaddr(const Endpoint& where, socklen_t& length) {
  sockaddr_storage storage{};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (::inet_pton(AF_INET, where.address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<std::uint16_t>(where.port));
    length = sizeof(sockaddr_in);
  } else if (::inet_pton(AF_INET6, where.address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<std::uint16_t>(where.port));
    length = sizeof(sockaddr_in6);
  } else {
    throw InputError("not a numeric address: '" + where.address + "'");
  }
  return storage;
}

void wait_fd(int fd, short events, Deadline deadline, const std::string& what) {
  for (;;) {
    // Each poll lasts at most a second: a stop signal (SIGTERM) ends any
    // wait within a second, however far its deadline.
    throw_if_stopped();
    if (std::chrono::steady_clock::now() >= deadline) throw TimeoutError(what + ": timed out");
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, remaining_ms(deadline));
    if (n > 0) return;
    if (n < 0 && errno != EINTR) throw_errno(what + ": poll");
  }
}

}  // namespace

Socket::~Socket() {
  if (fd_ >= 0) ::close(fd_);
}

Socket& Socket::operator=(Socket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}

std::string Endpoint::to_string() const {
  return address.find(':') != std::string::npos ? "[" + address + "]:" + std::to_string(port)
                                                : address + ":" + std::to_string(port);
}

int parse_port(const std::string& text, const std::string& context) {
  int port = -1;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size() || port < 0 || port > 65535)
    throw InputError(context + ": bad port '" + text + "' (expected 0..65535)");
  return port;
}

HostPort split_host_port(const std::string& text, const std::string& option) {
  const std::string context = option + " '" + text + "'";
  HostPort result;
  if (!text.empty() && text.front() == '[') {  // [v6] or [v6]:port
    const auto close = text.find(']');
    if (close == std::string::npos) throw InputError(context + ": missing ']'");
    result.host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') throw InputError(context + ": expected ':PORT' after ']'");
      result.port = parse_port(text.substr(close + 2), context);
    }
  } else {
    const auto colon = text.find(':');
    if (colon != std::string::npos && text.find(':', colon + 1) == std::string::npos) {  // one colon
      result.host = text.substr(0, colon);
      result.port = parse_port(text.substr(colon + 1), context);
    } else {
      result.host = text;
    }
  }
  if (result.host.empty()) throw InputError(context + ": no host or address");
  return result;
}

Endpoint Endpoint::parse(const std::string& text) {
  Endpoint e;
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) throw InputError("expected address:port, got '" + text + "'");
  e.address = text.substr(0, colon);
  if (e.address.size() >= 2 && e.address.front() == '[') e.address = e.address.substr(1, e.address.size() - 2);
  e.port = parse_port(text.substr(colon + 1), "'" + text + "'");
  return e;
}

void set_nonblocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL, 0);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) throw_errno("fcntl(O_NONBLOCK)");
}

void set_socket_options(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  // Large kernel buffers let one write call move megabytes (the kernel caps
  // these at net.core.[rw]mem_max; that is fine).
  int bytes = 4 << 20;
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
}

Socket listen_on(const Endpoint& where, Endpoint& bound) {
  socklen_t length = 0;
  sockaddr_storage address = to_sockaddr(where, length);
  Socket s(::socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s.valid()) throw_errno("socket");
  int one = 1;
  ::setsockopt(s.fd(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(s.fd(), reinterpret_cast<sockaddr*>(&address), length) != 0)
    throw_errno("cannot listen on " + where.to_string());
  if (::listen(s.fd(), SOMAXCONN) != 0) throw_errno("listen on " + where.to_string());
  sockaddr_storage actual{};
  socklen_t actual_length = sizeof actual;
  ::getsockname(s.fd(), reinterpret_cast<sockaddr*>(&actual), &actual_length);
  bound.address = where.address;
  bound.port = actual.ss_family == AF_INET ? ntohs(reinterpret_cast<sockaddr_in*>(&actual)->sin_port)
                                           : ntohs(reinterpret_cast<sockaddr_in6*>(&actual)->sin6_port);
  return s;
}

Socket connect_to(const Endpoint& where, Deadline deadline) {
  socklen_t length = 0;
  sockaddr_storage address = to_sockaddr(where, length);
  auto backoff = std::chrono::milliseconds(10);
  for (;;) {
    Socket s(::socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!s.valid()) throw_errno("socket");
    if (::connect(s.fd(), reinterpret_cast<sockaddr*>(&address), length) == 0) {
      set_socket_options(s.fd());
      return s;
    }
    const int error = errno;
    if (error != ECONNREFUSED && error != ENETUNREACH && error != EHOSTUNREACH && error != ETIMEDOUT && error != EINTR)
      throw IoError("cannot connect to " + where.to_string() + ": " + std::strerror(error));
    if (std::chrono::steady_clock::now() + backoff >= deadline)
      throw TimeoutError("cannot connect to " + where.to_string() + ": " + std::strerror(error));
    throw_if_stopped();
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(500));
  }
}

Socket accept_one(const Socket& listener, Deadline deadline) {
  for (;;) {
    wait_fd(listener.fd(), POLLIN, deadline, "waiting for peers to connect");
    Socket s(::accept4(listener.fd(), nullptr, nullptr, SOCK_CLOEXEC));
    if (s.valid()) {
      set_socket_options(s.fd());
      return s;
    }
    if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED) throw_errno("accept");
  }
}

void write_exact(int fd, std::span<const std::byte> bytes, Deadline deadline, const std::string& what) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      wait_fd(fd, POLLOUT, deadline, what);
    } else {
      throw_errno(what);
    }
  }
}

void read_exact(int fd, std::span<std::byte> bytes, Deadline deadline, const std::string& what) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::recv(fd, bytes.data() + done, bytes.size() - done, MSG_DONTWAIT);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n == 0) {
      throw PeerClosedError(what + ": connection closed by peer");
    } else if (errno == EAGAIN || errno == EINTR) {
      wait_fd(fd, POLLIN, deadline, what);
    } else {
      throw_errno(what);
    }
  }
}

std::byte peek_byte(int fd, Deadline deadline, const std::string& what) {
  for (;;) {
    std::byte first{};
    const ssize_t n = ::recv(fd, &first, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 1) return first;
    if (n == 0) throw PeerClosedError(what + ": connection closed by peer");
    if (errno == EAGAIN || errno == EINTR)
      wait_fd(fd, POLLIN, deadline, what);
    else
      throw_errno(what);
  }
}

std::size_t send_some(int fd, std::span<const std::byte> bytes, double& seconds, const std::string& peer) {
  for (;;) {
    ssize_t n = 0;
    {
      ScopedTimer timer(seconds);
      n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    }
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    throw IoError("sending to " + peer + " failed: " + std::strerror(errno));
  }
}

std::string resolve_bind_address(const std::string& bind) {
  in6_addr probe{};
  if (::inet_pton(AF_INET, bind.c_str(), &probe) == 1 || ::inet_pton(AF_INET6, bind.c_str(), &probe) == 1) return bind;
  // An interface name?
  ifaddrs* interfaces = nullptr;
  if (::getifaddrs(&interfaces) == 0) {
    std::string found;
    for (ifaddrs* i = interfaces; i && found.empty(); i = i->ifa_next)
      if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET && bind == i->ifa_name) {
        char text[INET_ADDRSTRLEN];
        ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, text, sizeof text);
        found = text;
      }
    ::freeifaddrs(interfaces);
    if (!found.empty()) return found;
  }
  // A host name.
  const auto address = lookup_ipv4(bind);
  if (!address.numeric.empty()) return address.numeric;
  throw InputError("--bind '" + bind + "' is not an address, an interface or a resolvable host (" + address.error +
                   ")");
}

Ipv4Lookup lookup_ipv4(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  const int code = ::getaddrinfo(host.c_str(), nullptr, &hints, &result);
  if (code != 0) return {"", ::gai_strerror(code)};
  char text[INET_ADDRSTRLEN];
  ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(result->ai_addr)->sin_addr, text, sizeof text);
  ::freeaddrinfo(result);
  return {text, ""};
}

}  // namespace ringsim
