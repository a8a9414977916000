#include "tls_pair.hpp"

#include <sys/socket.h>

#include <stdexcept>

namespace ringsim::testing {

TlsPair connect_tls_pair(const TlsContext& server_context, const std::string& server_host,
                         const TlsContext& client_context, const std::string& client_host,
                         const std::string& server_fingerprint, const std::string& client_fingerprint) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) throw std::runtime_error("socketpair failed");
  const std::string client_name = "peer " + client_host, server_name = "peer " + server_host;
  TlsPair pair;
  pair.server = std::make_unique<Connection>(
      make_tls_stream(Socket(fds[0]), server_context, true, client_host, client_name, client_fingerprint), client_name);
  pair.client = std::make_unique<Connection>(
      make_tls_stream(Socket(fds[1]), client_context, false, server_host, server_name, server_fingerprint),
      server_name);
  return pair;
}

std::vector<std::byte> send_across(Connection& from, Connection& to, const std::vector<std::byte>& bytes) {
  std::vector<std::byte> arrived(bytes.size());
  auto receive = to.post_receive(arrived);
  from.post_send(bytes)->wait(Millis(10000));
  receive->wait(Millis(10000));
  return arrived;
}

}  // namespace ringsim::testing
