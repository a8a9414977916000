#pragma once
// Progress reports over MPI: a small message with a tag of its own on the
// job's communicator, so it matches nothing else.
#include <mpi.h>

#include <chrono>

#include "transport/communicator.hpp"

namespace ringsim {

class MpiProgressLink : public ProgressLink {
 public:
  MpiProgressLink(MPI_Comm comm, std::chrono::milliseconds timeout) : comm_(comm), timeout_(timeout) {}
  MpiProgressLink(const MpiProgressLink&) = delete;
  MpiProgressLink& operator=(const MpiProgressLink&) = delete;
  ~MpiProgressLink() override;
  void post(const Report& report, bool must) override;
  bool receive(int& from, Report& report) override;

 private:
  MPI_Comm comm_;
  std::chrono::milliseconds timeout_;
  Report message_{};                        // the report in flight (MPI reads it until the send completes)
  MPI_Request request_ = MPI_REQUEST_NULL;  // ranks > 0: the report in flight
};

}  // namespace ringsim
