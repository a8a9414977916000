#pragma once
// Where this process is in a job, for error lines: which rank on which host,
// in which phase (load, connect, ring, write, ...). Every failure message
// that leaves a rank names all three, so a user reading one line of a
// 100-rank job's log knows where to look.
#include <string>

namespace ringsim {

// Set once the rank and its host are known (after MPI starts).
void set_rank_identity(int rank, const std::string& host);
// The phase this process is in now ("start-up" before any was entered).
// Async-signal-safe (a lock-free atomic load).
const char* current_phase();
// Makes `name` the phase that messages name, for a failure that belongs to
// an earlier phase than the one it is noticed in (a stop signal).
void name_phase_for_failure(const char* name);
// "rank 3 (host algo-2) in phase ring", or "ringsim (host h) in phase p"
// before the rank is known.
std::string where_this_rank_is();

// Enters a phase for the scope's lifetime; phases nest, the innermost wins.
// A scope left by an exception keeps its phase, so the message printed
// where the exception is caught names the phase that failed. Entering a
// phase is also where a test can inject a fault (see fault_injection.hpp).
class PhaseScope {
 public:
  explicit PhaseScope(const char* name);
  ~PhaseScope();
  PhaseScope(const PhaseScope&) = delete;
  PhaseScope& operator=(const PhaseScope&) = delete;

 private:
  const char* previous_;
  int exceptions_;
};

}  // namespace ringsim
