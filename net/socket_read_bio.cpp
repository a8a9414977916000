#include "net/socket_read_bio.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "common/clock.hpp"
#include "common/errors.hpp"
#include "net/custom_bio.hpp"

namespace ringsim {

SocketReader::SocketReader(int fd, std::size_t buffer_bytes, double* socket_seconds)
    : fd_(fd), buffer_(buffer_bytes, "a socket read buffer"), socket_seconds_(socket_seconds) {}

SocketReader::Fill SocketReader::fill() {
  if (begin_ == end_) {
    begin_ = end_ = 0;
  } else if (begin_ > 0) {
    std::memmove(buffer_.bytes(), buffer_.bytes() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  RINGSIM_ENFORCE(end_ < buffer_.size(), "socket read buffer full");
  ssize_t n;
  {
    ScopedTimer timer(*socket_seconds_);
    do n = ::recv(fd_, buffer_.bytes() + end_, buffer_.size() - end_, 0);
    while (n < 0 && errno == EINTR);
  }
  if (n > 0) {
    if (first_byte_ < 0) first_byte_ = buffer_.bytes()[end_];
    end_ += static_cast<std::size_t>(n);
    return Fill::Read;
  }
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return Fill::WouldBlock;
  // As OpenSSL's socket BIO: a reset or a close both mean the peer is gone.
  at_eof_ = true;
  return Fill::Closed;
}

namespace {

SocketReader* reader_of(BIO* bio) { return static_cast<SocketReader*>(BIO_get_data(bio)); }

int read_bytes(BIO* bio, char* out, std::size_t wanted, std::size_t* got) {
  SocketReader& reader = *reader_of(bio);
  BIO_clear_retry_flags(bio);
  *got = 0;
  if (reader.unread().empty()) {
    // A would-block is a retry; a reset or a close is a plain failure (EOF
    // flagged), which the stream reports as the peer having gone away.
    const SocketReader::Fill filled = reader.fill();
    if (filled == SocketReader::Fill::WouldBlock) BIO_set_retry_read(bio);
    if (filled != SocketReader::Fill::Read) return 0;
  }
  const std::size_t take = std::min(wanted, reader.unread().size());
  std::memcpy(out, reader.unread().data(), take);
  reader.consume(take);
  *got = take;
  return 1;
}

long control(BIO* bio, int command, long, void*) {
  switch (command) {
    case BIO_CTRL_PENDING:
      return static_cast<long>(reader_of(bio)->unread().size());
    case BIO_CTRL_FLUSH:
      return 1;
    case BIO_CTRL_EOF:
      return reader_of(bio)->at_eof() ? 1 : 0;
    default:
      return 0;
  }
}

int destroy(BIO* bio) {
  delete reader_of(bio);
  BIO_set_data(bio, nullptr);
  return 1;
}

int reader_type = 0;  // the method's type, set when it is made

const BIO_METHOD* method() {
  static BIO_METHOD* instance = new_bio_method(
      "ringsim socket reader", {.read = &read_bytes, .control = &control, .destroy = &destroy}, &reader_type);
  return instance;
}

}  // namespace

BIO* new_socket_read_bio(int fd, std::size_t buffer_bytes, double* socket_seconds) {
  auto reader = std::make_unique<SocketReader>(fd, buffer_bytes, socket_seconds);
  BIO* bio = new_bio_over(method(), reader.get());
  if (bio) reader.release();  // (the BIO's now: destroy() deletes it)
  return bio;
}

SocketReader& socket_reader_of(BIO* bio) {
  RINGSIM_ENFORCE(bio && BIO_method_type(bio) == reader_type && reader_of(bio), "not a socket reader BIO");
  return *reader_of(bio);
}

}  // namespace ringsim
