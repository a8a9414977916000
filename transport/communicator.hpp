#pragma once
// The control plane the engine talks to: rank, size, deadline-bounded
// collectives for bootstrap and error agreement, and the rank-to-machine
// facts. Backends: MpiComm (mpi/mpi_comm.hpp, ranks are processes
// under mpirun) and ThreadComm (transport/thread_comm.hpp, ranks are threads
// of one process). The engine, the transport factory, the agreement and the
// progress channel hold a Communicator and never know which.
//
// No collective can hang: each backend implements one primitive, meet()
// (every rank's bytes on every rank, through rank 0, within timeout()), and
// the typed collectives below are built on it here, once. Going through
// rank 0 lets rank 0 name the ranks that never arrived, and check that every
// rank is in the same collective of the same phase (a rank that skipped one
// would otherwise pair its next collective with its peers' current one).
#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ringsim {

class Transport;

// Small progress reports from ranks > 0 to rank 0 that never block and never
// match any other message (see ProgressChannel, which owns one).
class ProgressLink {
 public:
  using Report = std::array<std::int64_t, 3>;  // done, planned, finished (0 / 1)
  virtual ~ProgressLink() = default;           // lets a report in flight reach rank 0 (or go, when rank 0 is gone)
  // Ranks > 0: posts `report` unless the previous one is still in flight and
  // `must` is false (a report is a hint; the last one always goes).
  virtual void post(const Report& report, bool must) = 0;
  // Rank 0: one report that has arrived, with its sender; false when none.
  virtual bool receive(int& from, Report& report) = 0;
};

class Communicator {
 public:
  virtual ~Communicator() = default;
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
  double allreduce_min(double value) const;
  std::vector<std::int64_t> allgather(std::int64_t value) const;
  // Every rank's list, in rank order (lists may differ in length).
  std::vector<std::vector<std::int64_t>> allgather(const std::vector<std::int64_t>& values) const;
  // Every rank's string, in rank order.
  std::vector<std::string> allgather(const std::string& value) const;
  // Rank `root`'s string on every rank.
  std::string broadcast(const std::string& value, int root) const;
  // Every rank's machine, in rank order: equal values share a machine (never
  // a host name: on SageMaker every container's gethostname() is "aws").
  virtual std::vector<std::string> machines() const = 0;

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

  // The backend's own ring transport (--transport mpi): MPI point-to-point
  // for MpiComm, in-memory hand-over for ThreadComm. Not collective. Here,
  // so that the transport factory needs no MPI to make it.
  virtual std::unique_ptr<Transport> make_native_transport() const = 0;
  // The carrier of this rank's progress reports (ProgressChannel). Not collective.
  virtual std::unique_ptr<ProgressLink> open_progress_link() const = 0;

 protected:
  Communicator(int rank, int size) : rank_(rank), size_(size) {}
  Communicator(const Communicator&) = default;
  Communicator& operator=(const Communicator&) = default;

  // The one primitive: every rank's bytes on every rank, within the timeout
  // (see gather_outcomes for `grace`). `collective` names it in messages;
  // with every collective but "error agreement" a stopped rank throws
  // StoppedError instead of contributing. One rank alone returns its own.
  Outcomes exchange(const char* collective, const std::string& value,
                    std::chrono::milliseconds grace = std::chrono::milliseconds::max()) const;
  // The backend's part of exchange(), for 2 ranks or more: `label` (the
  // collective and this rank's phase) must be every rank's, else rank 0
  // throws out_of_step_message.
  virtual Outcomes meet(const char* collective, const std::string& label, const std::string& value,
                        std::chrono::milliseconds grace) const = 0;
  // "rank 3 (host algo-2)", or "rank 3" without hosts.
  std::string describe(int rank) const;
  // The errors every backend's exchange() raises, worded alike: rank 0
  // waited past the timeout for the ranks not `arrived`; a rank waited past
  // it (and a grace) for rank 0; rank `other` is in another collective.
  std::string missing_ranks_message(const char* collective, const std::vector<bool>& arrived) const;
  std::string silent_root_message(const char* collective) const;
  std::string out_of_step_message(const std::string& label, int other, const std::string& theirs) const;

 private:
  int rank_ = 0;
  int size_ = 1;
  std::chrono::milliseconds timeout_{std::chrono::minutes(5)};
  std::vector<std::string> hosts_;
};

}  // namespace ringsim
