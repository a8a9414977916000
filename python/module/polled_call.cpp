#include "python/module/polled_call.hpp"

namespace ringsim {

namespace py = pybind11;

namespace {
// Ctrl-C must raise within a second; the poll itself costs a few microseconds.
constexpr std::chrono::milliseconds kPollInterval{50};
}  // namespace

std::function<void(double)> PolledCall::progress_sink() {
  return [this](double fraction) { fraction_.store(fraction, std::memory_order_relaxed); };
}

bool PolledCall::stop_requested() {
  if (python_error_) return true;
  const auto now = std::chrono::steady_clock::now();
  if (now < next_poll_) return false;
  next_poll_ = now + kPollInterval;
  py::gil_scoped_acquire gil;
  if (PyErr_CheckSignals() != 0) {
    python_error_ = true;  // KeyboardInterrupt (or a handler's exception) stays set until run() raises it
    return true;
  }
  const double fraction = fraction_.load(std::memory_order_relaxed);
  if (!progress_.is_none() && fraction >= 0 && fraction != reported_) {
    reported_ = fraction;
    try {
      progress_(fraction);
    } catch (py::error_already_set& e) {
      e.restore();
      python_error_ = true;
      return true;
    }
  }
  return false;
}

void PolledCall::run(const std::function<void(const std::function<bool()>&)>& job) {
  const std::function<bool()> stop = [this] { return stop_requested(); };
  try {
    py::gil_scoped_release released;
    job(stop);
  } catch (...) {
    // The job stopped because Python asked it to (its own Stopped error), or
    // failed while an interrupt was on its way: the Python exception wins.
    if (python_error_) throw py::error_already_set();
    throw;
  }
  if (python_error_) throw py::error_already_set();  // raised after the job had already finished
  if (!progress_.is_none() && reported_ < 1) progress_(1.0);
}

}  // namespace ringsim
