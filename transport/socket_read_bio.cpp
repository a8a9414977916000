#include "transport/socket_read_bio.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>
#include <vector>

#include "common/clock.hpp"

namespace ringsim {

namespace {

struct SocketReader {
  int fd;
  std::vector<unsigned char> buffer;
  std::size_t begin = 0, end = 0;  // unread bytes: buffer[begin, end)
  bool at_eof = false;             // the peer closed its side
  double* socket_seconds;
};

SocketReader* reader_of(BIO* bio) { return static_cast<SocketReader*>(BIO_get_data(bio)); }

int read_bytes(BIO* bio, char* out, std::size_t wanted, std::size_t* got) {
  SocketReader& reader = *reader_of(bio);
  BIO_clear_retry_flags(bio);
  if (reader.begin == reader.end) {
    ssize_t n;
    {
      ScopedTimer timer(*reader.socket_seconds);
      do n = ::recv(reader.fd, reader.buffer.data(), reader.buffer.size(), 0);
      while (n < 0 && errno == EINTR);
    }
    // As OpenSSL's socket BIO: a would-block is a retry; a reset or a close
    // is a plain failure (EOF flagged), which the stream reports as the
    // peer having gone away.
    if (n <= 0) {
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) BIO_set_retry_read(bio);
      if (n == 0) reader.at_eof = true;
      *got = 0;
      return 0;
    }
    reader.begin = 0;
    reader.end = static_cast<std::size_t>(n);
  }
  const std::size_t take = std::min(wanted, reader.end - reader.begin);
  std::memcpy(out, reader.buffer.data() + reader.begin, take);
  reader.begin += take;
  *got = take;
  return 1;
}

long control(BIO* bio, int command, long, void*) {
  switch (command) {
    case BIO_CTRL_PENDING:
      return static_cast<long>(reader_of(bio)->end - reader_of(bio)->begin);
    case BIO_CTRL_FLUSH:
      return 1;
    case BIO_CTRL_EOF:
      return reader_of(bio)->at_eof ? 1 : 0;
    default:
      return 0;
  }
}

int destroy(BIO* bio) {
  delete reader_of(bio);
  BIO_set_data(bio, nullptr);
  return 1;
}

BIO_METHOD* method() {
  static BIO_METHOD* instance = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "ringsim socket reader");
    BIO_meth_set_read_ex(m, &read_bytes);
    BIO_meth_set_ctrl(m, &control);
    BIO_meth_set_destroy(m, &destroy);
    return m;
  }();
  return instance;
}

}  // namespace

BIO* new_socket_read_bio(int fd, std::size_t buffer_bytes, double* socket_seconds) {
  BIO* bio = BIO_new(method());
  if (!bio) return nullptr;
  auto* reader =
      new (std::nothrow) SocketReader{fd, std::vector<unsigned char>(buffer_bytes), 0, 0, false, socket_seconds};
  if (!reader) {
    BIO_free(bio);
    return nullptr;
  }
  BIO_set_data(bio, reader);
  BIO_set_init(bio, 1);
  return bio;
}

}  // namespace ringsim
