#pragma once
// A job run with the GIL released while the calling thread keeps Python
// responsive: about every 50 ms (however often the job polls its stop
// predicate) it takes the GIL, runs pending signal handlers (Ctrl-C raises
// KeyboardInterrupt there) and hands the latest progress to the caller's
// callback. A Python exception from either stops the job; once every rank
// is joined, run() raises it.
//
// Progress comes from rank 0's thread, which never takes the GIL: it only
// stores the fraction, and the calling thread reports it, so the callback
// runs on the caller's thread and its exceptions surface like any other.
#include <pybind11/pybind11.h>

#include <atomic>
#include <chrono>
#include <functional>

namespace ringsim {

class PolledCall {
 public:
  // `progress`: a callable taking the fraction done (0..1), or None.
  explicit PolledCall(pybind11::object progress) : progress_(std::move(progress)) {}

  // For RunOptions::on_progress: may be called from any thread.
  std::function<void(double)> progress_sink();

  // Runs job(stop_requested) with the GIL released; call with the GIL held.
  // Raises the pending Python exception (KeyboardInterrupt, the callback's)
  // if one stopped the job, else rethrows what the job threw.
  void run(const std::function<void(const std::function<bool()>&)>& job);

 private:
  bool stop_requested();  // the predicate: called without the GIL

  pybind11::object progress_;
  std::atomic<double> fraction_{-1};
  double reported_ = -1;
  bool python_error_ = false;  // an exception is set in the interpreter: the job must stop
  std::chrono::steady_clock::time_point next_poll_{};
};

}  // namespace ringsim
