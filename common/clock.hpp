#pragma once
#include <chrono>
#include <cstdint>

namespace ringsim {

using Clock = std::chrono::steady_clock;

// Seconds since an arbitrary fixed point; differences are what matter.
double now_seconds();

// Adds the time between construction and destruction to a counter.
class ScopedTimer {
 public:
  explicit ScopedTimer(double& accumulator) : accumulator_(accumulator), start_(now_seconds()) {}
  ~ScopedTimer() { accumulator_ += now_seconds() - start_; }
  ScopedTimer(const ScopedTimer&) = delete;
  ScopedTimer& operator=(const ScopedTimer&) = delete;

 private:
  double& accumulator_;
  double start_;
};

// Peak resident set size of this process in bytes (VmHWM).
std::int64_t peak_rss_bytes();

}  // namespace ringsim
