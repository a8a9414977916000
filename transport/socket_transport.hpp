#pragma once
// The tcp and tls transports: one Connection (socket + progress thread) per
// peer rank. MPI is used only to bootstrap: ranks listen on an ephemeral
// port, exchange address:port with an allgather, then each rank connects to
// every lower rank and accepts every higher one.
#include <memory>
#include <vector>

#include "common/host.hpp"
#include "transport/connection.hpp"
#include "transport/mpi_comm.hpp"
#include "transport/transport_factory.hpp"

namespace ringsim {

class SocketTransport : public Transport {
 public:
  // connections[peer] is null for this rank itself.
  // `connect_seconds`: how long the synchronous part of set-up took.
  SocketTransport(int rank, std::string kind, std::vector<std::unique_ptr<Connection>> connections,
                  double connect_seconds, std::string tls_crypto);
  int rank() const override { return rank_; }
  int size() const override { return static_cast<int>(connections_.size()); }
  std::string name() const override { return kind_; }
  RequestPtr isend(int peer, std::span<const std::byte> data) override;
  RequestPtr irecv(int peer, std::span<std::byte> data) override;
  TransportStats stats() const override;
  void await_ready(Millis timeout) override;

 private:
  Connection& peer(int rank);
  int rank_;
  std::string kind_;
  std::vector<std::unique_ptr<Connection>> connections_;
  double setup_seconds_;  // connecting and greeting, before the handshakes
  std::string tls_crypto_;
};

// Collective over `comm`; options.kind is tcp or tls. Returns with the TLS
// handshakes still running on the connections' threads: await_ready() waits.
// Throws AgreedFailure for what failed before connecting (credentials, the
// listening port); any other error is this rank's alone.
std::unique_ptr<Transport> connect_socket_mesh(const TransportOptions& options, const MpiComm& comm);

}  // namespace ringsim
