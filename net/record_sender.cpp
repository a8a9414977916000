#include "net/record_sender.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "common/clock.hpp"
#include "common/errors.hpp"
#include "net/custom_bio.hpp"

namespace ringsim {

namespace {

// Seconds without progress after which a closing sender drops what is left
// (a stopped or vanished peer): the connection is being torn down anyway.
constexpr double kDrainPatience = 2.0;
constexpr std::size_t kSpareBatches = 4;

RecordSender* sender_of(BIO* bio) { return static_cast<RecordSender*>(BIO_get_data(bio)); }

int write_bytes(BIO* bio, const char* data, std::size_t size, std::size_t* written) {
  sender_of(bio)->append(data, size);
  *written = size;
  return 1;
}

long control(BIO* bio, int command, long, void*) {
  switch (command) {
    case BIO_CTRL_FLUSH:
      sender_of(bio)->submit();
      return 1;
    default:
      return 0;  // no kTLS, no pending reads
  }
}

BIO_METHOD* method() {
  static BIO_METHOD* instance = new_bio_method("ringsim record sender", {.write = &write_bytes, .control = &control});
  return instance;
}

}  // namespace

RecordSender::RecordSender(int fd, std::size_t capacity) : fd_(fd), capacity_(capacity), thread_([this] { run(); }) {}

RecordSender::~RecordSender() {
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

BIO* RecordSender::new_bio() { return new_bio_over(method(), this); }

bool RecordSender::has_room() {
  wake_.drain();
  std::lock_guard lock(mutex_);
  return error_ == 0 && queued_bytes_ < capacity_;
}

int RecordSender::error() const {
  std::lock_guard lock(mutex_);
  return error_;
}

void RecordSender::append(const char* data, std::size_t size) {
  if (open_.capacity() == 0) {
    std::lock_guard lock(mutex_);
    if (!spare_.empty()) {
      open_ = std::move(spare_.back());
      spare_.pop_back();
    }
  }
  open_.insert(open_.end(), data, data + size);
}

void RecordSender::submit() {
  if (open_.empty()) return;
  {
    std::lock_guard lock(mutex_);
    queued_bytes_ += open_.size();
    queue_.push_back(std::move(open_));
  }
  open_ = {};
  changed_.notify_all();
}

void RecordSender::run() {
  for (;;) {
    std::vector<unsigned char> batch;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return !queue_.empty() || closing_; });
      if (queue_.empty() || error_) return;
      batch = std::move(queue_.front());
      queue_.pop_front();
    }
    std::size_t sent = 0;
    double progressed = now_seconds();
    int failure = 0;
    while (sent < batch.size() && failure == 0) {
      const double started = now_seconds();
      const ssize_t n = ::send(fd_, batch.data() + sent, batch.size() - sent, MSG_NOSIGNAL);
      socket_nanoseconds_ += static_cast<std::uint64_t>((now_seconds() - started) * 1e9);
      if (n > 0) {
        sent += static_cast<std::size_t>(n);
        progressed = now_seconds();
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        pollfd entry{fd_, POLLOUT, 0};
        ::poll(&entry, 1, 100);
        std::lock_guard lock(mutex_);
        if (closing_ && now_seconds() - progressed > kDrainPatience) failure = ETIMEDOUT;
      } else {
        failure = n < 0 ? errno : EPIPE;
      }
    }
    {
      std::lock_guard lock(mutex_);
      queued_bytes_ -= batch.size();
      if (failure) error_ = failure;
      batch.clear();
      if (spare_.size() < kSpareBatches) spare_.push_back(std::move(batch));
    }
    wake_.signal();
    if (failure) return;
  }
}

}  // namespace ringsim
