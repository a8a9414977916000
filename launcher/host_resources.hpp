#pragma once
// What a launcher sets up on its host for one job and takes down again: a
// private scratch folder, the job's ssh key, sshd for mpirun's logins.
#include <filesystem>
#include <memory>
#include <string>
#include <utility>

#include "common/errors.hpp"
#include "launcher/child_process.hpp"

namespace ringsim {

// Removes `path` (a file, or a folder with all it holds; empty: nothing)
// when it goes out of scope.
class RemoveAtExit {
 public:
  explicit RemoveAtExit(std::string path) : path_(std::move(path)) {}
  ~RemoveAtExit() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  RemoveAtExit(const RemoveAtExit&) = delete;
  RemoveAtExit& operator=(const RemoveAtExit&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A fresh folder only this user can enter, under a name no one can guess
// beforehand (mkdtemp), removed with all it holds when the result goes out
// of scope.
RemoveAtExit make_private_folder(const std::string& prefix);

// Makes a fresh ed25519 key pair at `path` (ssh-keygen, as the image has
// OpenSSH); returns the public key line.
std::string make_job_ssh_key(const std::string& path);

// sshd for mpirun's logins, in the foreground (-D) as the launcher's child so
// that it ends with the job. RINGSIM_SSHD replaces the command (a test bed
// runs one sshd per network namespace with its own keys and no pid file).
std::unique_ptr<ChildProcess> start_sshd();

}  // namespace ringsim
