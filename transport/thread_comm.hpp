#pragma once
// The thread backend of the control plane: P ranks as threads of one
// process (run_thread_job, engine/thread_job.hpp). ThreadGroup is what the
// ranks share (the collectives' meeting points, the memory transport's
// mailboxes, progress reports, the job's stop and failure); ThreadComm is
// one rank's Communicator over it, with MpiComm's semantics: every
// collective meets through rank 0 within the timeout, rank 0 names the ranks
// that never arrived and checks that all are in the same collective of the
// same phase, and error agreement waits only a grace after a failure.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "transport/communicator.hpp"
#include "transport/memory_transport.hpp"

namespace ringsim {

class ThreadGroup {
 public:
  // `machines`: each rank's machine for Communicator::machines() (tests give
  // thread ranks machines of their own); empty: all on this one.
  explicit ThreadGroup(int size, std::vector<std::string> machines = {});
  ThreadGroup(const ThreadGroup&) = delete;
  ThreadGroup& operator=(const ThreadGroup&) = delete;
  int size() const { return size_; }
  const std::vector<std::string>& machines() const { return machines_; }
  MemoryMailboxes& mailboxes() { return mailboxes_; }

  // Every rank's next wait or throw_if_stopped() throws StoppedError.
  void request_stop();
  // A rank failed where the others may not know (outside an agreement, or
  // one that could not finish): every rank's next wait throws AgreedFailure
  // with `message`. The first failure wins.
  void fail(const std::string& message);
  // Throws what request_stop / fail asked for; installed as each thread
  // rank's check_stop (common/thread_rank.hpp).
  void throw_if_ended() const;
  // The first failure passed to fail(), or "".
  std::string failure() const;

 private:
  friend class ThreadComm;
  friend class ThreadProgressLink;
  // One collective: what each rank brought, and rank 0's answer.
  struct Round {
    std::vector<std::string> labels, values;
    std::vector<bool> arrived;
    bool answered = false;
    std::vector<std::string> result;
    int taken = 0;  // ranks that took the result (the round is dropped when all have)
  };
  Round& round(std::int64_t index);

  int size_;
  std::vector<std::string> machines_;
  MemoryMailboxes mailboxes_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::int64_t, Round> rounds_;
  std::deque<std::pair<int, ProgressLink::Report>> reports_;
  enum class End { running, stopped, failed };
  std::atomic<End> end_{End::running};
  std::string failure_;
};

class ThreadComm : public Communicator {
 public:
  ThreadComm(ThreadGroup& group, int rank);
  std::vector<std::string> machines() const override { return group_.machines(); }
  std::unique_ptr<Transport> make_native_transport() const override;
  std::unique_ptr<ProgressLink> open_progress_link() const override;

 protected:
  Outcomes meet(const char* collective, const std::string& label, const std::string& value,
                std::chrono::milliseconds grace) const override;

 private:
  Outcomes gather_at_root(std::int64_t index, const char* collective, const std::string& label,
                          std::chrono::milliseconds grace) const;
  Outcomes await_root(std::int64_t index, const char* collective) const;

  ThreadGroup& group_;
  mutable std::int64_t next_round_ = 0;  // collectives this rank entered
};

}  // namespace ringsim
