#pragma once
// Child processes of the launcher (mpirun, sshd). Each child is started in
// its own process group and with a parent-death signal, so that nothing the
// job started outlives its launcher: not when the launcher exits, not when
// it is killed with SIGKILL (the kernel then sends the death signal).
#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

namespace ringsim {

class ChildProcess {
 public:
  struct Options {
    int death_signal = 15;        // sent by the kernel to the child when the launcher dies
    bool capture_stderr = false;  // read the child's stderr through a pipe (see run)
  };
  ChildProcess() = default;
  ChildProcess(const std::vector<std::string>& argv, const Options& options);
  // Kills what is left of the child's process group (SIGTERM, then SIGKILL).
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // The exit code if the child has ended (128 + signal if killed), else -1.
  int poll();
  // Waits for the child, calling on_line for each line of its stderr (when
  // captured; the line is also copied to our stderr) and tick about every
  // `tick_ms`. While it waits, SIGTERM and SIGINT sent to us are passed on to
  // the child, so StopTrainingJob reaches mpirun and, through it, every rank.
  // Returns the exit code (128 + signal if killed).
  int wait(const std::function<void(const std::string&)>& on_line = {}, const std::function<void()>& tick = {},
           int tick_ms = 1000);
  // The stop signal (SIGTERM, SIGINT) the last wait passed on to its child,
  // or 0: the launcher was asked to stop while the child ran.
  static int forwarded_signal();
  // SIGTERM to the child's group, SIGKILL after `grace_ms` if still there.
  void terminate(int grace_ms = 3000);

 private:
  pid_t pid_ = -1;
  int stderr_fd_ = -1;
  int exit_code_ = -1;
};

// Runs argv to the end and returns its exit code (see ChildProcess::wait).
int run_child(const std::vector<std::string>& argv);

// The path of the running ringsim binary.
std::string self_executable();

}  // namespace ringsim
