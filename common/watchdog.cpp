#include "common/watchdog.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

#include "common/phase.hpp"

namespace ringsim {

namespace {

struct Watchdog {
  std::mutex mutex;
  std::condition_variable changed;
  bool armed = false;
  const char* what = "";
  std::chrono::milliseconds limit{0};
  std::chrono::steady_clock::time_point deadline;
  std::thread thread;

  Watchdog() {
    thread = std::thread([this] { watch(); });
    thread.detach();  // lives as long as the process; never joined
  }

  void watch() {
    std::unique_lock lock(mutex);
    for (;;) {
      if (!armed) {
        changed.wait(lock);
        continue;
      }
      if (changed.wait_until(lock, deadline) == std::cv_status::timeout && armed &&
          std::chrono::steady_clock::now() >= deadline) {
        const std::string line = fmt::format(
            "ringsim: error: {}: {} did not return within {:g} s (a peer stalled or died); ending this rank\n",
            where_this_rank_is(), what, limit.count() / 1000.0);
        (void)!::write(STDERR_FILENO, line.data(), line.size());
        ::_exit(kWatchdogExitCode);
      }
    }
  }
};

Watchdog& watchdog() {
  static auto* instance = new Watchdog;  // never destroyed: its thread may outlive main's statics
  return *instance;
}

}  // namespace

WatchdogScope::WatchdogScope(const char* what, std::chrono::milliseconds limit) {
  Watchdog& dog = watchdog();
  std::lock_guard lock(dog.mutex);
  dog.armed = true;
  dog.what = what;
  dog.limit = limit;
  dog.deadline = std::chrono::steady_clock::now() + limit;
  dog.changed.notify_all();
}

WatchdogScope::~WatchdogScope() {
  Watchdog& dog = watchdog();
  std::lock_guard lock(dog.mutex);
  dog.armed = false;
  dog.changed.notify_all();
}

}  // namespace ringsim
