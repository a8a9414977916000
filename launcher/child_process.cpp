#include "launcher/child_process.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>

#include "common/errors.hpp"

namespace ringsim {

namespace {

volatile pid_t g_child = 0;

extern "C" void forward_signal(int signal) {
  if (g_child > 0) ::kill(g_child, signal);
}

std::vector<char*> c_argv(const std::vector<std::string>& argv) {
  std::vector<char*> out;
  for (const auto& word : argv) out.push_back(const_cast<char*>(word.c_str()));
  out.push_back(nullptr);
  return out;
}

}  // namespace

int run_child(const std::vector<std::string>& argv) {
  RINGSIM_ENFORCE(!argv.empty(), "empty command");
  auto args = c_argv(argv);
  const pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    ::execvp(args[0], args.data());
    std::fprintf(stderr, "ringsim: error: cannot run %s: %s\n", args[0], std::strerror(errno));
    std::_Exit(127);
  }
  g_child = pid;
  struct sigaction action {};
  action.sa_handler = forward_signal;
  sigemptyset(&action.sa_mask);
  struct sigaction old_term {}, old_int {};
  ::sigaction(SIGTERM, &action, &old_term);
  ::sigaction(SIGINT, &action, &old_int);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw_errno("waitpid");
  }
  ::sigaction(SIGTERM, &old_term, nullptr);
  ::sigaction(SIGINT, &old_int, nullptr);
  g_child = 0;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

void start_daemon(const std::vector<std::string>& argv) {
  const int code = run_child(argv);  // sshd daemonises itself and returns
  if (code != 0) throw ConfigError(argv[0] + " failed to start (exit code " + std::to_string(code) + ")");
}

std::string self_executable() { return std::filesystem::read_symlink("/proc/self/exe").string(); }

}  // namespace ringsim
