#pragma once
// SIGTERM / SIGINT handling for ranks: SageMaker's StopTrainingJob sends
// SIGTERM and kills 120 s later; mpirun forwards SIGTERM and kills a few
// seconds later. The handler removes registered temporary files at once (a
// SIGKILL may follow before any unwinding) and sets a flag; long loops,
// waits and file writes poll it and throw StoppedError, so the process
// exits promptly with 128 + signal and a message.
#include <string>

#include "common/errors.hpp"

namespace ringsim {

void install_stop_handler();
// The signal that asked us to stop, or 0.
int stop_signal();
// Throws StoppedError if a stop was requested.
void throw_if_stopped();

// Files the stop handler unlinks when a stop signal arrives (temporary
// outputs); a small fixed number at once, more are ignored (and then removed
// only by unwinding).
void remove_on_stop(const std::string& path);
void keep_on_stop(const std::string& path);

}  // namespace ringsim
