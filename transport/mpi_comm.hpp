#pragma once
// The MPI control plane: start-up, collectives for bootstrap and for agreeing
// on errors, and rank-to-host facts. Every MPI return code becomes an
// MpiError carrying MPI_Error_string.
//
// No collective here can hang: each one is built from non-blocking
// point-to-point messages through rank 0 and polled against a deadline
// (--timeout). A blocking MPI collective cannot be abandoned, so one stalled
// rank would hold every other rank in it forever. Going through rank 0 also
// lets rank 0 name the ranks that never arrived, and check that every rank
// is in the same collective of the same phase (a rank that skipped one
// would otherwise pair its next collective with its peers' current one).
#include <mpi.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

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

class MpiComm {
 public:
  explicit MpiComm(MPI_Comm comm = MPI_COMM_WORLD);
  MPI_Comm raw() const { return comm_; }
  int rank() const { return rank_; }
  int size() const { return size_; }

  // How long a collective may wait for the slowest rank (default 300 s).
  void set_timeout(std::chrono::milliseconds timeout) { timeout_ = timeout; }
  std::chrono::milliseconds timeout() const { return timeout_; }
  // Host names by rank, for messages that name a missing rank.
  void set_hosts(std::vector<std::string> hosts) { hosts_ = std::move(hosts); }

  void barrier() const;
  std::int64_t allreduce_max(std::int64_t value) const;
  std::int64_t allreduce_min(std::int64_t value) const;
  double allreduce_max(double value) const;
  std::vector<std::int64_t> allgather(std::int64_t value) const;
  // Every rank's list, in rank order (lists may differ in length).
  std::vector<std::vector<std::int64_t>> allgather(const std::vector<std::int64_t>& values) const;
  // Every rank's string, in rank order.
  std::vector<std::string> allgather(const std::string& value) const;
  // Rank `root`'s string on every rank.
  std::string broadcast(const std::string& value, int root) const;
  // Every rank's machine, in rank order: equal values share a machine. From
  // MpiSession::machine_leader() (never a host name); without a session,
  // from MPI_Get_processor_name.
  std::vector<std::string> machines() const;

  // Every rank's outcome string ("" = fine) for error agreement. Once some
  // rank reported a failure, rank 0 waits at most `grace` for the others
  // (they may be stuck waiting on the rank that failed). Returns
  // `complete` = false on rank 0 alone when it stopped waiting; it has then
  // not answered the others, and must end the job.
  struct Outcomes {
    std::vector<std::string> values;  // "" also for ranks that never arrived
    bool complete = true;
  };
  Outcomes gather_outcomes(const std::string& outcome, std::chrono::milliseconds grace) const;

 private:
  // The one primitive: every rank's bytes on every rank, within the timeout
  // (see gather_outcomes for `grace`).
  Outcomes exchange(const char* collective, const std::string& value,
                    std::chrono::milliseconds grace = std::chrono::milliseconds::max()) const;
  std::string describe(int rank) const;

  MPI_Comm comm_;
  int rank_ = 0;
  int size_ = 1;
  std::chrono::milliseconds timeout_{std::chrono::minutes(5)};
  std::vector<std::string> hosts_;
};

}  // namespace ringsim
