#include "common/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "common/errors.hpp"
#include "common/stop_signal.hpp"

namespace ringsim {

namespace fs = std::filesystem;

AtomicFile::AtomicFile(std::string final_path, unsigned mode) : final_path_(std::move(final_path)), mode_(mode) {
  const fs::path target(final_path_);
  temp_path_ =
      (target.parent_path() / ("." + target.filename().string() + ".tmp." + std::to_string(::getpid()))).string();
  const std::string dir = target.parent_path().empty() ? "." : target.parent_path().string();
  fd_ = ::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
  unnamed_ = fd_ >= 0;
  if (!unnamed_) {
    // No O_TMPFILE here (EOPNOTSUPP, EISDIR on old kernels): a named
    // temporary, removed by the stop handler if a signal comes first. Never
    // through a link someone left at that name, and never into a file that
    // is there already: a leftover (a killed process with our PID) goes.
    const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
    fd_ = ::open(temp_path_.c_str(), flags, mode);
    if (fd_ < 0 && errno == EEXIST && ::unlink(temp_path_.c_str()) == 0) fd_ = ::open(temp_path_.c_str(), flags, mode);
    if (fd_ < 0) throw_errno("cannot create output file " + temp_path_);
    remove_on_stop(temp_path_);
  }
  ::fchmod(fd_, mode);  // the umask must not widen or narrow what was asked for
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_ && !unnamed_) {
    ::unlink(temp_path_.c_str());
    keep_on_stop(temp_path_);
  }
}

void AtomicFile::write_at(std::int64_t offset, std::span<const std::byte> bytes) {
  throw_if_stopped();
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::pwrite(fd_, bytes.data() + done, bytes.size() - done, offset + static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) {
        throw_if_stopped();
        continue;
      }
      throw_errno("cannot write output file " + final_path_);
    }
    done += static_cast<std::size_t>(n);
  }
  size_ = std::max<std::int64_t>(size_, offset + static_cast<std::int64_t>(bytes.size()));
}

void AtomicFile::append(std::span<const std::byte> bytes) { write_at(size_, bytes); }

void AtomicFile::append(const std::string& text) {
  append(std::span<const std::byte>(reinterpret_cast<const std::byte*>(text.data()), text.size()));
}

void AtomicFile::flush() {
  throw_if_stopped();
  if (::fsync(fd_) != 0) throw_errno("cannot flush output file " + final_path_);
}

void AtomicFile::publish() {
  throw_if_stopped();
  if (unnamed_) {
    // Name the unnamed file, then rename over the target (link cannot
    // replace an existing file). The named window lasts microseconds.
    ::unlink(temp_path_.c_str());  // a leftover of a killed process with our PID
    remove_on_stop(temp_path_);
    const std::string self = "/proc/self/fd/" + std::to_string(fd_);
    if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, temp_path_.c_str(), AT_SYMLINK_FOLLOW) != 0) {
      keep_on_stop(temp_path_);
      throw_errno("cannot name output file " + final_path_);
    }
  }
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) throw_errno("cannot close output file " + final_path_);
  if (::rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
    const int error = errno;
    ::unlink(temp_path_.c_str());
    keep_on_stop(temp_path_);
    throw_if_stopped();  // the stop handler removed the temporary
    errno = error;
    throw_errno("cannot rename output into " + final_path_);
  }
  keep_on_stop(temp_path_);
  committed_ = true;
}

void ensure_writable_directory(const std::string& dir) {
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) throw IoError("output directory " + dir + " cannot be created: " + error.message());
  // An unnamed file where the file system has them, so no name in the
  // folder is opened at all; else a new name, never through a link.
  int fd = ::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
    return;
  }
  const std::string probe = (fs::path(dir) / (".ringsim-write-test." + std::to_string(::getpid()))).string();
  const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
  fd = ::open(probe.c_str(), flags, 0600);
  if (fd < 0 && errno == EEXIST && ::unlink(probe.c_str()) == 0) fd = ::open(probe.c_str(), flags, 0600);
  if (fd < 0) throw_errno("output directory " + dir + " is not writable");
  ::close(fd);
  ::unlink(probe.c_str());
}

}  // namespace ringsim
