#include "common/stop_signal.hpp"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstring>
#include <string>

#include "common/phase.hpp"
#include "common/thread_rank.hpp"

namespace ringsim {

namespace {

volatile std::sig_atomic_t g_signal = 0;
// The phase the first stop signal arrived in. A rank notices the signal at
// its next poll, which may be in a later phase (a send that completes at
// once polls nothing); the message names the phase the stop interrupted.
std::atomic<const char*> g_stop_phase{nullptr};

// Paths the handler may unlink. A slot is written only while `state` is 0
// (free) -> 1 (being written) -> 2 (ready); the handler reads ready slots.
constexpr int kSlots = 16;
constexpr std::size_t kPathMax = 4096;
struct Slot {
  std::atomic<int> state{0};
  char path[kPathMax];
};
Slot g_slots[kSlots];

extern "C" void on_stop(int signal) {
  const char* expected = nullptr;
  g_stop_phase.compare_exchange_strong(expected, current_phase());  // lock-free atomics only
  g_signal = signal;
  for (auto& slot : g_slots)
    if (slot.state.load() == 2) ::unlink(slot.path);  // async-signal-safe
}

}  // namespace

void install_stop_handler() {
  struct sigaction action {};
  action.sa_handler = on_stop;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  // A write to a peer that died must fail with EPIPE (and a message naming
  // the peer), not kill this rank silently with SIGPIPE.
  signal(SIGPIPE, SIG_IGN);
}

int stop_signal() { return g_signal; }

void throw_if_stopped() {
  if (ThreadRank* thread = this_thread_rank(); thread && thread->check_stop) thread->check_stop();
  if (g_signal == 0) return;
  if (const char* phase = g_stop_phase.load()) name_phase_for_failure(phase);
  throw StoppedError("stopped by signal " + std::to_string(g_signal) + (g_signal == SIGTERM ? " (SIGTERM)" : ""));
}

void remove_on_stop(const std::string& path) {
  if (path.size() >= kPathMax) return;
  for (auto& slot : g_slots) {
    int expected = 0;
    if (!slot.state.compare_exchange_strong(expected, 1)) continue;
    std::memcpy(slot.path, path.c_str(), path.size() + 1);
    slot.state = 2;
    return;
  }
}

void keep_on_stop(const std::string& path) {
  for (auto& slot : g_slots) {
    int expected = 2;
    if (slot.state.load() != 2 || std::strcmp(slot.path, path.c_str()) != 0) continue;
    if (!slot.state.compare_exchange_strong(expected, 1)) continue;
    slot.path[0] = '\0';
    slot.state = 0;
    return;
  }
}

}  // namespace ringsim
