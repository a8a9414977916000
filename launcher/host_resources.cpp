#include "launcher/host_resources.hpp"

#include <stdlib.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <thread>

#include "common/errors.hpp"
#include "common/no_follow_file.hpp"
#include "launcher/mpirun_command.hpp"

namespace ringsim {

namespace fs = std::filesystem;

RemoveAtExit make_private_folder(const std::string& prefix) {
  std::string pattern = (fs::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (!::mkdtemp(pattern.data())) throw_errno("cannot make a private folder " + pattern);
  return RemoveAtExit(pattern);
}

std::string make_job_ssh_key(const std::string& path) {
  const fs::path dir = fs::path(path).parent_path();
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace);
  fs::remove(path);
  fs::remove(path + ".pub");
  const int code = run_child({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ringsim-job", "-f", path});
  if (code != 0)
    throw ConfigError("ssh-keygen failed to make the job's ssh key (exit code " + std::to_string(code) + ")");
  const std::string text = read_file_no_follow(path + ".pub", 64 * 1024).value_or("");
  const std::string line = text.substr(0, text.find('\n'));
  if (line.empty()) throw ConfigError("ssh-keygen wrote no public key to " + path + ".pub");
  return line;
}

std::unique_ptr<ChildProcess> start_sshd() {
  std::vector<std::string> command = {"/usr/sbin/sshd", "-D", "-e"};
  if (const char* custom = std::getenv("RINGSIM_SSHD"); custom && *custom) {
    command = split_words(custom);
  } else {
    // The image holds no host keys (every container would share them):
    // this container makes its own.
    if (const int code = run_child({"ssh-keygen", "-A"}); code != 0)
      throw ConfigError("ssh-keygen -A could not make sshd's host keys (exit code " + std::to_string(code) + ")");
  }
  // Debian's sshd refuses to start without its privilege separation folder,
  // which a fresh container's /run lacks.
  std::error_code ignored;
  fs::create_directories("/run/sshd", ignored);
  auto sshd = std::make_unique<ChildProcess>(command, ChildProcess::Options{SIGTERM, false});
  // A bad config or a taken port ends sshd at once: say so here rather than
  // let the leader time out on port 22.
  for (int i = 0; i < 10 && sshd->poll() < 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (const int code = sshd->poll(); code >= 0)
    throw ConfigError(command[0] + " failed to start (exit code " + std::to_string(code) + ")");
  return sshd;
}

}  // namespace ringsim
