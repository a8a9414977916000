#pragma once
// TCP sockets: an owning fd, listening, connecting with retries, the
// blocking exact reads / writes used only for the plaintext greeting before a
// connection is handed to its progress thread, and the non-blocking send its
// streams use.
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace ringsim {

class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket();
  Socket(Socket&& other) noexcept : fd_(other.release()) {}
  Socket& operator=(Socket&& other) noexcept;
  int fd() const { return fd_; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  bool valid() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

struct Endpoint {
  std::string address;  // numeric IPv4 / IPv6
  int port = 0;
  std::string to_string() const;
  static Endpoint parse(const std::string& text);  // "addr:port" or "[v6]:port"
};

// A TCP port number written in decimal, 0..65535; throws InputError
// "<context>: bad port 'abc' (expected 0..65535)" otherwise.
int parse_port(const std::string& text, const std::string& context);

// HOST[:PORT] as --bind takes it: "10.0.0.5:7000", "eth0", "node-1:7000",
// "[fe80::1]:7000". An address with several colons and no brackets is an
// IPv6 literal without a port ("fe80::1"). `option` names the source in
// errors ("--bind").
struct HostPort {
  std::string host;
  std::optional<int> port;
};
HostPort split_host_port(const std::string& text, const std::string& option);

using Deadline = std::chrono::steady_clock::time_point;

// Listens on `address` (numeric) and port (0 = ephemeral); returns the socket
// and the endpoint actually bound.
Socket listen_on(const Endpoint& where, Endpoint& bound);
// Connects, retrying refused / unreachable attempts until `deadline`.
Socket connect_to(const Endpoint& where, Deadline deadline);
// Accepts one connection or throws TimeoutError at `deadline`.
Socket accept_one(const Socket& listener, Deadline deadline);

void set_nonblocking(int fd);
void set_socket_options(int fd);  // TCP_NODELAY, large buffers
void write_exact(int fd, std::span<const std::byte> bytes, Deadline deadline, const std::string& what);
void read_exact(int fd, std::span<std::byte> bytes, Deadline deadline, const std::string& what);
// The next byte on `fd`, left in place for the next reader.
std::byte peek_byte(int fd, Deadline deadline, const std::string& what);
// One send(2) on a non-blocking socket (no SIGPIPE), retried on EINTR, the
// time inside it added to `seconds`. Returns the bytes sent, 0 when the
// socket's buffer is full; throws IoError "sending to <peer> failed: ...".
std::size_t send_some(int fd, std::span<const std::byte> bytes, double& seconds, const std::string& peer);

// The numeric address for --bind: an interface name (eth0), a literal
// address, or a host name to resolve.
std::string resolve_bind_address(const std::string& bind);

// The first IPv4 address `host` resolves to (getaddrinfo), as text; or
// empty, with the resolver's reason.
struct Ipv4Lookup {
  std::string numeric;
  std::string error;
};
Ipv4Lookup lookup_ipv4(const std::string& host);

}  // namespace ringsim
