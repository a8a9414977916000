// libringsim_hostname.so: a gethostname() that answers with SageMaker's
// current_host, preloaded into mpirun and every rank (LD_PRELOAD, -x) by a
// multi-host launch.
//
// Why: every SageMaker container's host name is "aws". Open MPI 4.1 takes a
// process's node name from gethostname(), and its TCP BTL mixes up peers on
// nodes that share one name: across two hosts that both say "aws", a plain
// MPI program's first collectives hang or crash in ob1's receive path (the
// network-namespace bed, scripts/beds/netns-cluster.sh --hostnames aws); with
// names algo-1 and algo-2, or with this shim, it passes. AWS's own framework
// images preload a shim for the same reason.
//
// The file is $RINGSIM_RESOURCE_CONFIG, else
// /opt/ml/input/config/resourceconfig.json, read on every call (a process
// makes a few). Without a readable current_host the real gethostname()
// answers, so the shim changes nothing outside SageMaker.
#include <dlfcn.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/current_host.hpp"

namespace {

int current_host(char* out, std::size_t capacity) {
  const char* path = std::getenv("RINGSIM_RESOURCE_CONFIG");
  if (path == nullptr || *path == '\0') path = "/opt/ml/input/config/resourceconfig.json";
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char text[65536];
  std::size_t size = 0;
  for (;;) {
    const ssize_t got = ::read(fd, text + size, sizeof text - size);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    size += static_cast<std::size_t>(got);
    if (size == sizeof text) break;
  }
  ::close(fd);
  return ringsim::extract_current_host(text, size, out, capacity);
}

}  // namespace

extern "C" int gethostname(char* name, std::size_t length) noexcept {
  char host[256];
  const int saved = errno;
  const int found = current_host(host, sizeof host);
  errno = saved;
  if (found < 0) {
    using Gethostname = int (*)(char*, std::size_t);
    const auto real = reinterpret_cast<Gethostname>(::dlsym(RTLD_NEXT, "gethostname"));
    if (real == nullptr) {
      errno = ENOSYS;
      return -1;
    }
    return real(name, length);
  }
  if (static_cast<std::size_t>(found) + 1 > length) {
    // As glibc: truncated, and a failure.
    if (length > 0) std::memcpy(name, host, length);
    errno = ENAMETOOLONG;
    return -1;
  }
  std::memcpy(name, host, static_cast<std::size_t>(found) + 1);
  return 0;
}
