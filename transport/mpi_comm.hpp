#pragma once
// The MPI control plane: start-up, collectives for bootstrap and for agreeing
// on errors, and rank-to-host facts. Every MPI return code becomes an
// MpiError carrying MPI_Error_string.
#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ringsim {

void check_mpi(int code, const char* call);

// MPI_Init_thread / MPI_Finalize. Progress threads of the socket transports
// never call MPI, so FUNNELED is enough.
class MpiSession {
 public:
  MpiSession(int* argc, char*** argv);
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
  // Ends the job on every rank now (a rank failed where others cannot know).
  [[noreturn]] static void abort(int code);
};

class MpiComm {
 public:
  explicit MpiComm(MPI_Comm comm = MPI_COMM_WORLD);
  MPI_Comm raw() const { return comm_; }
  int rank() const { return rank_; }
  int size() const { return size_; }

  void barrier() const;
  std::int64_t allreduce_max(std::int64_t value) const;
  std::int64_t allreduce_min(std::int64_t value) const;
  double allreduce_max(double value) const;
  std::vector<std::int64_t> allgather(std::int64_t value) const;
  // Every rank's string, in rank order.
  std::vector<std::string> allgather(const std::string& value) const;
  // Rank `root`'s string on every rank.
  std::string broadcast(const std::string& value, int root) const;
  std::string processor_name() const;

 private:
  MPI_Comm comm_;
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace ringsim
