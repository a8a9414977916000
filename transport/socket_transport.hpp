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

class TlsContext;

class SocketTransport : public Transport {
 public:
  // connections[peer] is null for this rank itself.
  SocketTransport(int rank, std::string kind, std::vector<std::unique_ptr<Connection>> connections,
                  double setup_seconds);
  int rank() const override { return rank_; }
  int size() const override { return static_cast<int>(connections_.size()); }
  std::string name() const override { return kind_; }
  RequestPtr isend(int peer, std::span<const std::byte> data) override;
  RequestPtr irecv(int peer, std::span<std::byte> data) override;
  TransportStats stats() const override;

 private:
  Connection& peer(int rank);
  int rank_;
  std::string kind_;
  std::vector<std::unique_ptr<Connection>> connections_;
  double setup_seconds_;
};

// Collective over `comm`. `tls` null means plain TCP.
std::unique_ptr<Transport> connect_socket_mesh(const TransportOptions& options, const MpiComm& comm,
                                               const TlsContext* tls);

}  // namespace ringsim
