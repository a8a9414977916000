#pragma once
// What a launcher sets up on its host for one job and takes down again: a
// private scratch folder, the job's ssh key, sshd for mpirun's logins.
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "common/errors.hpp"
#include "launcher/child_process.hpp"

namespace ringsim {

// A fresh folder only this user can enter, under a name no one can guess
// beforehand (mkdtemp), removed with all it holds when the launcher ends.
class PrivateFolder {
 public:
  explicit PrivateFolder(const std::string& prefix) {
    std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
    if (!::mkdtemp(pattern.data())) throw_errno("cannot make a private folder " + pattern);
    path_ = pattern;
  }
  ~PrivateFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  PrivateFolder(const PrivateFolder&) = delete;
  PrivateFolder& operator=(const PrivateFolder&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Removes `path` (a file or folder; empty: nothing) when it goes out of scope.
struct RemoveAtExit {
  std::string path;  // empty: nothing
  ~RemoveAtExit() {
    std::error_code ignored;
    if (!path.empty()) std::filesystem::remove_all(path, ignored);
  }
};

// Makes a fresh ed25519 key pair at `path` (ssh-keygen, as the image has
// OpenSSH); returns the public key line.
std::string make_job_ssh_key(const std::string& path);

// sshd for mpirun's logins, in the foreground (-D) as the launcher's child so
// that it ends with the job. RINGSIM_SSHD replaces the command (a test bed
// runs one sshd per network namespace with its own keys and no pid file).
std::unique_ptr<ChildProcess> start_sshd();

}  // namespace ringsim
