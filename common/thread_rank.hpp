#pragma once
// What is per rank in a process of one rank (its identity, its phase, its
// stop request, its injected fault) is per thread when the ranks are
// threads of one process (run_thread_job, engine/thread_job.hpp). A thread
// rank installs a ThreadRank for its lifetime; phase.cpp, stop_signal.cpp
// and fault_injection.cpp read it instead of the process's globals when
// present, so the engine's code is the same for both kinds of rank.
#include <atomic>
#include <functional>
#include <string>

namespace ringsim {

struct ThreadRank {
  int rank = -1;
  std::string host;                            // set by set_rank_identity
  std::string identity_host;                   // set by set_identity_host (the rank map's host); "": the process's
  std::atomic<const char*> phase{"start-up"};  // current_phase()
  // Called by throw_if_stopped(): throws StoppedError (or the job's agreed
  // failure) once this rank's job must stop. May be empty.
  std::function<void()> check_stop;
};

// The calling thread's rank, or null in a process whose rank is the process.
ThreadRank* this_thread_rank();

// Makes `rank` the calling thread's for the scope's lifetime.
class ThreadRankScope {
 public:
  explicit ThreadRankScope(ThreadRank& rank);
  ~ThreadRankScope();
  ThreadRankScope(const ThreadRankScope&) = delete;
  ThreadRankScope& operator=(const ThreadRankScope&) = delete;

 private:
  ThreadRank* previous_;
};

}  // namespace ringsim
