#pragma once
#include "mpi/mpi_comm.hpp"
#include "transport/transport.hpp"

namespace ringsim {

// MPI point-to-point under a tag of its own, so ring traffic never matches a
// control-plane message. Open MPI moves large
// (rendezvous) messages only inside MPI calls, hence progress().
class MpiTransport : public Transport {
 public:
  explicit MpiTransport(const MpiComm& comm);
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string name() const override { return "mpi"; }
  RequestPtr isend(int peer, std::span<const std::byte> data) override;
  RequestPtr irecv(int peer, std::span<std::byte> data) override;
  void progress() override;
  TransportStats stats() const override { return stats_; }

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  int size_ = 1;
  TransportStats stats_;
};

}  // namespace ringsim
