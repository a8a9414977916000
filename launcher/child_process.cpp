#include "launcher/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <thread>

#include "common/errors.hpp"

namespace ringsim {

namespace {

volatile sig_atomic_t g_child = 0;
volatile sig_atomic_t g_forwarded = 0;  // the last signal passed on to a child

extern "C" void forward_signal(int signal) {
  g_forwarded = signal;
  if (g_child > 0) ::kill(static_cast<pid_t>(g_child), signal);
}

std::vector<char*> c_argv(const std::vector<std::string>& argv) {
  std::vector<char*> out;
  for (const auto& word : argv) out.push_back(const_cast<char*>(word.c_str()));
  out.push_back(nullptr);
  return out;
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const Options& options) {
  RINGSIM_ENFORCE(!argv.empty(), "empty command");
  auto args = c_argv(argv);
  int pipe_fds[2] = {-1, -1};
  if (options.capture_stderr && ::pipe2(pipe_fds, O_CLOEXEC) != 0) throw_errno("pipe");
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    // Own process group: the launcher can end the child and whatever it
    // started (mpirun's local ranks) with one kill(-pgid).
    ::setpgid(0, 0);
    // The kernel signals us when the launcher dies, even by SIGKILL; the
    // check closes the race with a launcher that died before prctl.
    ::prctl(PR_SET_PDEATHSIG, options.death_signal);
    if (::getppid() != parent) std::_Exit(128 + options.death_signal);
    if (options.capture_stderr) ::dup2(pipe_fds[1], STDERR_FILENO);  // dup2 clears O_CLOEXEC on the copy
    ::execvp(args[0], args.data());
    std::fprintf(stderr, "ringsim: error: cannot run %s: %s\n", args[0], std::strerror(errno));
    std::_Exit(127);
  }
  ::setpgid(pid, pid);  // also here, so no kill(-pid) can come before the child's own setpgid
  pid_ = pid;
  if (options.capture_stderr) {
    ::close(pipe_fds[1]);
    stderr_fd_ = pipe_fds[0];
  }
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    if (exit_code_ < 0) terminate(2000);
    ::kill(-pid_, SIGKILL);  // stragglers of the group (ranks mpirun left behind)
  }
  if (stderr_fd_ >= 0) ::close(stderr_fd_);
}

int ChildProcess::poll() {
  if (exit_code_ >= 0 || pid_ <= 0) return exit_code_;
  int status = 0;
  const pid_t done = ::waitpid(pid_, &status, WNOHANG);
  if (done == pid_) exit_code_ = exit_code_of(status);
  return exit_code_;
}

void ChildProcess::terminate(int grace_ms) {
  if (pid_ <= 0 || poll() >= 0) return;
  ::kill(-pid_, SIGTERM);
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(grace_ms);
  while (poll() < 0 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (poll() < 0) {
    ::kill(-pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    exit_code_ = exit_code_of(status);
  }
}

int ChildProcess::wait(const std::function<void(const std::string&)>& on_line, const std::function<void()>& tick,
                       int tick_ms) {
  g_forwarded = 0;
  g_child = pid_;
  struct sigaction action {};
  action.sa_handler = forward_signal;
  sigemptyset(&action.sa_mask);
  struct sigaction old_term {
  }, old_int{};
  ::sigaction(SIGTERM, &action, &old_term);
  ::sigaction(SIGINT, &action, &old_int);
  std::string pending;
  auto deliver = [&](bool flush) {
    for (std::size_t end; (end = pending.find('\n')) != std::string::npos;) {
      const std::string line = pending.substr(0, end);
      pending.erase(0, end + 1);
      std::fprintf(stderr, "%s\n", line.c_str());
      if (on_line) on_line(line);
    }
    if (flush && !pending.empty()) {
      std::fprintf(stderr, "%s\n", pending.c_str());
      if (on_line) on_line(pending);
      pending.clear();
    }
  };
  // The pipe may stay open after the child ends (a grandchild holding it):
  // read until EOF, or for at most a second once the child is gone.
  std::chrono::steady_clock::time_point drain_until{};
  auto next_tick = std::chrono::steady_clock::now() + std::chrono::milliseconds(tick_ms);
  while (true) {
    if (stderr_fd_ >= 0) {
      pollfd p{stderr_fd_, POLLIN, 0};
      const int ready = ::poll(&p, 1, exit_code_ >= 0 ? 100 : tick_ms);
      if (ready > 0) {
        char buffer[4096];
        const ssize_t got = ::read(stderr_fd_, buffer, sizeof buffer);
        if (got > 0) {
          pending.append(buffer, static_cast<std::size_t>(got));
          deliver(false);
        } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
          ::close(stderr_fd_);
          stderr_fd_ = -1;
        }
      }
    } else if (exit_code_ < 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(tick_ms, 100)));
    }
    if (exit_code_ < 0 && poll() >= 0) drain_until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    if (exit_code_ >= 0 && (stderr_fd_ < 0 || std::chrono::steady_clock::now() > drain_until)) break;
    if (exit_code_ < 0 && tick && std::chrono::steady_clock::now() >= next_tick) {
      next_tick = std::chrono::steady_clock::now() + std::chrono::milliseconds(tick_ms);
      tick();
    }
  }
  deliver(true);
  ::sigaction(SIGTERM, &old_term, nullptr);
  ::sigaction(SIGINT, &old_int, nullptr);
  g_child = 0;
  return exit_code_;
}

int ChildProcess::forwarded_signal() { return g_forwarded; }

int run_child(const std::vector<std::string>& argv) {
  ChildProcess child(argv, {});
  const int code = child.wait();
  // A stop signal that came while a helper ran (ssh-keygen) was passed to
  // it; it is meant for us too: raise it again now that our own handler
  // (the launcher's stop handler) is back.
  if (const int signal = g_forwarded; signal != 0) ::raise(signal);
  return code;
}

std::string self_executable() { return std::filesystem::read_symlink("/proc/self/exe").string(); }

}  // namespace ringsim
