#include "net/record_receiver.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/clock.hpp"
#include "common/errors.hpp"
#include "net/custom_bio.hpp"

namespace ringsim {

namespace {

RecordReceiver* receiver_of(BIO* bio) { return static_cast<RecordReceiver*>(BIO_get_data(bio)); }

int read_bytes(BIO* bio, char* out, std::size_t wanted, std::size_t* got) {
  RecordReceiver& receiver = *receiver_of(bio);
  BIO_clear_retry_flags(bio);
  *got = receiver.take(out, wanted);
  if (*got > 0) return 1;
  // Nothing yet is a retry; a close (or reset) is a plain failure with EOF
  // flagged, as from the serial path's reader (socket_read_bio.hpp).
  if (!receiver.closed_and_empty()) BIO_set_retry_read(bio);
  return 0;
}

long control(BIO* bio, int command, long, void*) {
  switch (command) {
    case BIO_CTRL_PENDING:
      return static_cast<long>(receiver_of(bio)->pending());
    case BIO_CTRL_FLUSH:
      return 1;
    case BIO_CTRL_EOF:
      return receiver_of(bio)->closed_and_empty() ? 1 : 0;
    default:
      return 0;  // no kTLS
  }
}

BIO_METHOD* method() {
  static BIO_METHOD* instance = new_bio_method("ringsim record receiver", {.read = &read_bytes, .control = &control});
  return instance;
}

}  // namespace

RecordReceiver::RecordReceiver(int fd, std::size_t capacity, std::span<const unsigned char> already)
    : fd_(fd), ring_(capacity, "a TLS receive ring") {
  RINGSIM_ENFORCE(already.size() <= capacity, "more bytes read ahead than the receive ring holds");
  if (!already.empty()) std::memcpy(ring_.bytes(), already.data(), already.size());  // (data() may be null when empty)
  written_ = already.size();
  thread_ = std::thread([this] { run(); });
}

RecordReceiver::~RecordReceiver() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  room_.notify_all();
  stop_.signal();
  thread_.join();
}

BIO* RecordReceiver::new_bio() { return new_bio_over(method(), this); }

std::size_t RecordReceiver::take(char* out, std::size_t wanted) {
  const std::size_t size = ring_.size();
  std::size_t got = 0;
  bool wake_thread = false;
  {
    std::lock_guard lock(mutex_);
    const std::size_t at = taken_ % size;
    got = std::min({wanted, static_cast<std::size_t>(written_ - taken_), size - at});
    if (got == 0) {
      // Asked for after a wake-up that is now used up: clear it before the
      // thread can signal the next one (it signals under no lock, after
      // seeing reader_waits_).
      wake_.drain();
      reader_waits_ = !closed_;
      return 0;
    }
    // The bytes in [taken_, written_) are the thread's no more: it writes
    // only into the free part of the ring.
    std::memcpy(out, ring_.bytes() + at, got);
    taken_ += got;
    // A thread that found the ring full waits for a quarter of it: one
    // wake-up and one large recv per 256 KiB, not one per record opened.
    if (receiver_waits_ && size - (written_ - taken_) >= size / 4) {
      receiver_waits_ = false;
      wake_thread = true;
    }
  }
  if (wake_thread) room_.notify_one();
  return got;
}

std::size_t RecordReceiver::pending() const {
  std::lock_guard lock(mutex_);
  return static_cast<std::size_t>(written_ - taken_);
}

bool RecordReceiver::closed_and_empty() const {
  std::lock_guard lock(mutex_);
  return closed_ && written_ == taken_;
}

void RecordReceiver::run() {
  const std::size_t size = ring_.size();
  for (;;) {
    std::size_t at = 0, room = 0;
    {
      std::unique_lock lock(mutex_);
      if (written_ - taken_ == size) {
        receiver_waits_ = true;
        room_.wait(lock, [&] { return stopping_ || !receiver_waits_; });
      }
      if (stopping_) return;
      at = written_ % size;
      room = std::min(size - static_cast<std::size_t>(written_ - taken_), size - at);
    }
    // The memcpy in take() reads only [taken_, written_): the free part
    // written here is this thread's until written_ moves.
    const double started = now_seconds();
    const ssize_t n = ::recv(fd_, ring_.bytes() + at, room, 0);
    const int error = errno;  // (before the clock is read)
    socket_nanoseconds_ += static_cast<std::uint64_t>((now_seconds() - started) * 1e9);
    if (n < 0 && (error == EAGAIN || error == EWOULDBLOCK || error == EINTR)) {
      pollfd fds[2] = {{fd_, POLLIN, 0}, {stop_.fd(), POLLIN, 0}};
      ::poll(fds, 2, -1);
      continue;
    }
    bool wake_reader = false;
    {
      std::lock_guard lock(mutex_);
      // As the serial reader: a reset or a close both mean the peer is gone.
      if (n > 0)
        written_ += static_cast<std::uint64_t>(n);
      else
        closed_ = true;
      wake_reader = reader_waits_;
      reader_waits_ = false;
    }
    if (wake_reader) wake_.signal();
    if (n <= 0) return;
  }
}

}  // namespace ringsim
