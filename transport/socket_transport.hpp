#pragma once
// The tcp and tls transports: one Connection (socket + progress thread) per
// peer rank. MPI is used only to bootstrap: ranks listen on an ephemeral
// port, exchange address:port (and rank 0's random job id) over MPI, then
// each rank connects to every lower rank and accepts every higher one
// (peer_greeting.hpp), and each end says who it is inside the stream
// (rank_binding.hpp).
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/host.hpp"
#include "net/connection.hpp"
#include "net/peer_greeting.hpp"
#include "transport/communicator.hpp"
#include "transport/transport.hpp"
#include "transport/transport_options.hpp"

namespace ringsim {

// Who is at the other end of each connection, for the check inside the
// stream (rank_binding.hpp).
struct PeerIdentities {
  JobId job{};
  std::vector<std::string> hosts;            // by rank, this rank's included
  std::function<std::string(int)> describe;  // "rank 2 (host algo-2, 10.0.0.3:4711)"
  std::vector<bool> encrypted;               // by rank: TLS on that edge
};

class SocketTransport : public Transport {
 public:
  // connections[peer] is null for this rank itself.
  // `connect_seconds`: how long the synchronous part of set-up took.
  SocketTransport(int rank, std::string kind, std::vector<std::unique_ptr<Connection>> connections,
                  double connect_seconds, std::string tls_crypto, bool tls_pipelined, PeerIdentities identities);
  int rank() const override { return rank_; }
  int size() const override { return static_cast<int>(connections_.size()); }
  std::string name() const override { return kind_; }
  RequestPtr isend(int peer, std::span<const std::byte> data) override;
  RequestPtr irecv(int peer, std::span<std::byte> data) override;
  TransportStats stats() const override;
  // Waits for the handshakes, then each end says who it is inside the
  // stream; a peer that is not the rank and host this rank's map expects
  // there (a swapped or replayed stream) is refused naming both.
  void await_ready(Millis timeout) override;

 private:
  Connection& peer(int rank);
  int rank_;
  std::string kind_;
  std::vector<std::unique_ptr<Connection>> connections_;
  double setup_seconds_;  // connecting and greeting, before the handshakes
  std::string tls_crypto_;
  bool tls_pipelined_;  // tls: records sealed and opened apart from the socket's threads
  PeerIdentities identities_;
};

// Collective over `comm`; options.kind is tcp or tls. Returns with the TLS
// handshakes still running on the connections' threads: await_ready() waits.
// Throws AgreedFailure for what failed before connecting (credentials, the
// listening port); any other error is this rank's alone.
std::unique_ptr<Transport> connect_socket_mesh(const TransportOptions& options, const Communicator& comm);

}  // namespace ringsim
