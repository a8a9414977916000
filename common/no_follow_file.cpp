#include "common/no_follow_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "common/errors.hpp"

namespace ringsim {

namespace fs = std::filesystem;

namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string folder_of(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

// The folder of `path`, itself not through a link either.
Fd open_folder(const std::string& path) {
  const std::string folder = folder_of(path);
  Fd dir(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (dir.get() < 0) throw_errno("cannot open the folder " + folder + " (of " + path + ")");
  return dir;
}

void write_all(int fd, const std::string& text, const std::string& path) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("cannot write " + path);
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace

std::optional<std::string> read_file_no_follow(const std::string& path, std::size_t max_bytes) {
  const Fd dir = open_folder(path);
  const std::string name = fs::path(path).filename().string();
  // O_NONBLOCK: a FIFO planted at the name must not hold us in open(2).
  Fd fd(::openat(dir.get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return std::nullopt;
    if (errno == ELOOP) throw IoError(path + " is a symbolic link; refused (it is never followed)");
    throw_errno("cannot read " + path);
  }
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) throw_errno("cannot read " + path);
  if (!S_ISREG(info.st_mode)) throw IoError(path + " is not a regular file; refused");
  std::string text;
  char buffer[4096];
  while (text.size() <= max_bytes) {
    const ssize_t n = ::read(fd.get(), buffer, std::min(sizeof buffer, max_bytes + 1 - text.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("cannot read " + path);
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  if (text.size() > max_bytes) throw IoError(path + " is over " + std::to_string(max_bytes) + " bytes; refused");
  return text;
}

void replace_file_no_follow(const std::string& path, const std::string& text, unsigned mode) {
  std::error_code ignored;
  fs::create_directories(folder_of(path), ignored);
  const Fd dir = open_folder(path);
  const std::string name = fs::path(path).filename().string();
  const std::string temporary = name + ".tmp." + std::to_string(::getpid());
  // Whatever stands at the temporary's name (a leftover of a process with
  // our PID, or a planted link) goes: unlinkat removes a link, not its target.
  ::unlinkat(dir.get(), temporary.c_str(), 0);
  // An unnamed file where the file system has them; else a new name,
  // never opened through a link (O_EXCL fails on any link standing there).
  int created = ::openat(dir.get(), ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
  const bool unnamed = created >= 0;
  if (!unnamed)
    created = ::openat(dir.get(), temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (created < 0) throw_errno("cannot create " + folder_of(path) + "/" + temporary);
  const Fd fd(created);
  const auto discard = [&] {
    if (!unnamed) ::unlinkat(dir.get(), temporary.c_str(), 0);
  };
  try {
    ::fchmod(fd.get(), mode);  // the umask must not change what was asked for
    write_all(fd.get(), text, path);
    if (::fsync(fd.get()) != 0) throw_errno("cannot flush " + path);
    if (unnamed) {
      const std::string self = "/proc/self/fd/" + std::to_string(fd.get());
      if (::linkat(AT_FDCWD, self.c_str(), dir.get(), temporary.c_str(), AT_SYMLINK_FOLLOW) != 0)
        throw_errno("cannot name " + folder_of(path) + "/" + temporary);
    }
    if (::renameat(dir.get(), temporary.c_str(), dir.get(), name.c_str()) != 0) {
      const int error = errno;
      ::unlinkat(dir.get(), temporary.c_str(), 0);
      errno = error;
      throw_errno("cannot rename into " + path);
    }
  } catch (...) {
    discard();
    throw;
  }
}

}  // namespace ringsim
