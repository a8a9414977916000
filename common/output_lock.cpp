#include "common/output_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "common/errors.hpp"

namespace ringsim {

namespace {

// The PID holding a flock on (device, inode), from /proc/locks
// ("1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"), or "" if not found.
std::string lock_holder(const struct stat& st) {
  std::ifstream locks("/proc/locks");
  const std::string wanted = [&] {
    std::ostringstream id;
    id << std::hex;
    id.width(2);
    id.fill('0');
    id << major(st.st_dev) << ':';
    id.width(2);
    id << minor(st.st_dev) << ':' << std::dec << st.st_ino;
    return id.str();
  }();
  std::string line;
  while (std::getline(locks, line)) {
    std::istringstream fields(line);
    std::string index, kind, advisory, access, pid, id;
    fields >> index >> kind;
    if (kind == "->") fields >> kind;  // a waiter
    fields >> advisory >> access >> pid >> id;
    if (kind == "FLOCK" && id == wanted) return pid;
  }
  return "";
}

}  // namespace

OutputDirectoryLock::OutputDirectoryLock(const std::string& dir) {
  fd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd_ < 0) throw_errno("cannot open output directory " + dir);
  if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) return;
  const int error = errno;
  struct stat st {};
  ::fstat(fd_, &st);
  ::close(fd_);
  fd_ = -1;
  if (error != EWOULDBLOCK) {
    errno = error;
    throw_errno("cannot lock output directory " + dir);
  }
  const std::string holder = lock_holder(st);
  throw IoError("--out " + dir + " is in use by another ringsim job" +
                (holder.empty() ? std::string(" (on another machine sharing it)") : " (process " + holder + ")") +
                "; wait for it to finish or choose another --out");
}

OutputDirectoryLock::~OutputDirectoryLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace ringsim
