#pragma once
// This rank's seconds per phase of the job (report.json's "seconds"). The
// job owns one PhaseTimer; code that spends a phase's time measures it with
// a scope (`auto scope = timer.measure(TimedPhase::write);`) or adds a span
// it measured itself, instead of adding to a double handed down to it.
// report.cpp reads the totals.
#include <array>
#include <cstddef>

#include "common/clock.hpp"

namespace ringsim {

// What report.json's "seconds" names, in its order; compute and
// communication_wait fall within ring, the others follow one another.
enum class TimedPhase { load, normalize, connect, compute, communication_wait, ring, write, checkpoint, total };
inline constexpr std::size_t kTimedPhases = 9;

// The phase's name as report.json and error lines (PhaseScope) give it.
constexpr const char* name_of(TimedPhase phase) {
  constexpr const char* names[kTimedPhases] = {"load", "normalize", "connect",    "compute", "communication_wait",
                                               "ring", "write",     "checkpoint", "total"};
  return names[static_cast<std::size_t>(phase)];
}

class PhaseTimer {
 public:
  // Adds the time from its construction to its end to the phase.
  class Scope {
   public:
    Scope(PhaseTimer& timer, TimedPhase phase) : timer_(timer), phase_(phase), start_(now_seconds()) {}
    ~Scope() { timer_.add(phase_, now_seconds() - start_); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    PhaseTimer& timer_;
    TimedPhase phase_;
    double start_;
  };

  [[nodiscard]] Scope measure(TimedPhase phase) { return Scope(*this, phase); }
  void add(TimedPhase phase, double seconds) { seconds_[static_cast<std::size_t>(phase)] += seconds; }
  double seconds(TimedPhase phase) const { return seconds_[static_cast<std::size_t>(phase)]; }

 private:
  std::array<double, kTimedPhases> seconds_{};
};

}  // namespace ringsim
