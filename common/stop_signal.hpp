#pragma once
// SIGTERM / SIGINT handling for ranks: SageMaker's StopTrainingJob sends
// SIGTERM and kills 120 s later. The handler only sets a flag; long loops and
// waits poll it and throw StoppedError, so unwinding removes unfinished
// output files and the process exits promptly with 128 + signal.
#include "common/errors.hpp"

namespace ringsim {

class StoppedError : public Error {
 public:
  using Error::Error;
};

void install_stop_handler();
// The signal that asked us to stop, or 0.
int stop_signal();
// Throws StoppedError if a stop was requested.
void throw_if_stopped();

}  // namespace ringsim
