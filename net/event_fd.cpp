#include "net/event_fd.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

#include "common/errors.hpp"

namespace ringsim {

EventFd::EventFd() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (fd_ < 0) throw_errno("eventfd");
}

EventFd::~EventFd() { ::close(fd_); }

void EventFd::signal() {
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t ignored = ::write(fd_, &one, sizeof one);
}

void EventFd::drain() {
  std::uint64_t count;
  [[maybe_unused]] const ssize_t ignored = ::read(fd_, &count, sizeof count);
}

}  // namespace ringsim
