#pragma once
// Two TLS connections over a local socket pair, for tests that need a TLS
// link without MPI, and moving bytes across one.
#include <memory>
#include <string>
#include <vector>

#include "net/connection.hpp"
#include "net/tls_stream.hpp"

namespace ringsim::testing {

struct TlsPair {
  std::unique_ptr<Connection> server, client;
};

// The server side runs `server_context` and expects the client to be
// `client_host` (or, pinning, to present `client_fingerprint`); the client
// likewise. Connections are named after the peer they talk to ("peer
// <host>"). Handshakes run in the background: wait_ready() collects them.
TlsPair connect_tls_pair(const TlsContext& server_context, const std::string& server_host,
                         const TlsContext& client_context, const std::string& client_host,
                         const std::string& server_fingerprint = "", const std::string& client_fingerprint = "");

// Sends `bytes` from `from` to `to` as one message; returns what arrived.
std::vector<std::byte> send_across(Connection& from, Connection& to, const std::vector<std::byte>& bytes);

}  // namespace ringsim::testing
