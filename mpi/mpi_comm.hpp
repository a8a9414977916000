#pragma once
// The MPI control plane: start-up, and the Communicator (communicator.hpp)
// over MPI. Every MPI return code becomes an MpiError carrying
// MPI_Error_string.
//
// No collective here can hang: meet() is built from non-blocking
// point-to-point messages through rank 0 and polled against a deadline
// (--timeout). A blocking MPI collective cannot be abandoned, so one stalled
// rank would hold every other rank in it forever.
#include <mpi.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "transport/communicator.hpp"

namespace ringsim {

void check_mpi(int code, const char* call);

// MPI_Init_thread / MPI_Finalize, each guarded by the watchdog (they cannot
// be polled). Progress threads of the socket transports never call MPI, so
// FUNNELED is enough.
class MpiSession {
 public:
  // `timeout`: how long start-up and shut-down may wait for the other ranks.
  MpiSession(int* argc, char*** argv, std::chrono::milliseconds timeout = std::chrono::minutes(5));
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
  // Ends the job on every rank now (a rank failed where others cannot know).
  [[noreturn]] static void abort(int code);
  // The lowest MPI_COMM_WORLD rank on this process's machine (the ranks that
  // share memory with it, as Open MPI's runtime placed them), or -1 before a
  // session started. Host names cannot tell machines apart: on SageMaker
  // every container's gethostname() is "aws".
  static int machine_leader();

 private:
  std::chrono::milliseconds timeout_;
};

// The MPI backend of the control plane (ranks are processes under mpirun).
class MpiComm : public Communicator {
 public:
  explicit MpiComm(MPI_Comm comm = MPI_COMM_WORLD);
  MPI_Comm raw() const { return comm_; }

  // From MpiSession::machine_leader() (never a host name); without a
  // session, from MPI_Get_processor_name.
  std::vector<std::string> machines() const override;
  std::unique_ptr<Transport> make_native_transport() const override;
  std::unique_ptr<ProgressLink> open_progress_link() const override;

 protected:
  Outcomes meet(const char* collective, const std::string& label, const std::string& value,
                std::chrono::milliseconds grace) const override;

 private:
  // meet()'s steps. Rank 0 gathers every contribution into `values` (false:
  // given up within `grace` of a failure reported), then hands the result
  // out; every other rank sends its contribution and waits for the result.
  bool gather_contributions(const char* collective, const std::string& label, std::vector<std::string>& values,
                            std::chrono::milliseconds grace, std::chrono::steady_clock::time_point started) const;
  void hand_out(const std::string& result, const char* collective, std::chrono::steady_clock::time_point started) const;
  std::string exchange_with_root(const std::string& contribution, const char* collective,
                                 std::chrono::steady_clock::time_point started) const;
  MPI_Comm comm_;
};

}  // namespace ringsim
