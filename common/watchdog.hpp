#pragma once
// A last line of defence for calls that cannot be polled or given a timeout
// (MPI_Init, MPI_Finalize): armed around such a call, it ends the process
// with one line naming the rank, host and phase if the call has not
// returned in time. mpirun treats a rank that exits without finalising as a
// failed job and takes the other ranks down, so no part of the job hangs.
#include <chrono>

namespace ringsim {

class WatchdogScope {
 public:
  // `what`: the call guarded, for the message (a string literal).
  WatchdogScope(const char* what, std::chrono::milliseconds limit);
  ~WatchdogScope();
  WatchdogScope(const WatchdogScope&) = delete;
  WatchdogScope& operator=(const WatchdogScope&) = delete;
};

// Exit code of a process ended by the watchdog.
constexpr int kWatchdogExitCode = 124;

}  // namespace ringsim
