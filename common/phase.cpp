#include "common/phase.hpp"

#include <atomic>
#include <exception>
#include <mutex>

#include "common/fault_injection.hpp"
#include "common/host.hpp"
#include "common/log.hpp"
#include "common/thread_rank.hpp"

namespace ringsim {

namespace {
// Read by the watchdog thread and by signal-time messages: atomics only.
std::atomic<const char*> g_phase{"start-up"};
static_assert(std::atomic<const char*>::is_always_lock_free, "current_phase() is read in signal handlers");
std::atomic<int> g_rank{-1};
std::mutex g_host_mutex;
std::string g_host;

// A thread rank's phase is its own; a process rank's is the process's.
std::atomic<const char*>& phase_of_this_rank() {
  ThreadRank* thread = this_thread_rank();
  return thread ? thread->phase : g_phase;
}

int this_rank() {
  ThreadRank* thread = this_thread_rank();
  return thread ? thread->rank : g_rank.load();
}
}  // namespace

void set_rank_identity(int rank, const std::string& host) {
  if (ThreadRank* thread = this_thread_rank()) {
    thread->rank = rank;
    thread->host = host;
    return;
  }
  {
    std::lock_guard lock(g_host_mutex);
    g_host = host;
  }
  g_rank = rank;
}

const char* current_phase() { return phase_of_this_rank().load(); }

void name_phase_for_failure(const char* name) { phase_of_this_rank() = name; }

std::string where_this_rank_is() {
  std::string host;
  if (ThreadRank* thread = this_thread_rank()) {
    host = thread->host;
  } else {
    std::lock_guard lock(g_host_mutex);
    host = g_host;
  }
  if (host.empty()) host = identity_host();
  const int rank = this_rank();
  const std::string who = rank >= 0 ? "rank " + std::to_string(rank) : std::string("ringsim");
  return who + " (host " + host + ") in phase " + current_phase();
}

PhaseScope::PhaseScope(const char* name)
    : previous_(phase_of_this_rank().exchange(name)), exceptions_(std::uncaught_exceptions()) {
  inject_fault_at(name, this_rank());
  log::debug(where_this_rank_is() + ": entered");
}

PhaseScope::~PhaseScope() {
  if (std::uncaught_exceptions() == exceptions_) phase_of_this_rank() = previous_;
}

}  // namespace ringsim
