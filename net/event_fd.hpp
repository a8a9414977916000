#pragma once
// A wake-up descriptor (eventfd) for poll(2): one thread signals, another
// polls it and drains it. The progress thread of a connection and the sender
// and receiver threads of a TLS edge each wait on one.
namespace ringsim {

class EventFd {
 public:
  // Non-blocking, close-on-exec; throws IoError when the kernel has none to give.
  EventFd();
  ~EventFd();
  EventFd(const EventFd&) = delete;
  EventFd& operator=(const EventFd&) = delete;
  int fd() const { return fd_; }
  // Makes fd() readable until the next drain().
  void signal();
  // Clears what signal() set (no effect when nothing was signalled).
  void drain();

 private:
  int fd_;
};

}  // namespace ringsim
