#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "common/clock.hpp"
#include "common/errors.hpp"
#include "net/stream.hpp"

namespace ringsim {

namespace {

class PlainStream : public Stream {
 public:
  PlainStream(Socket socket, std::string peer) : socket_(std::move(socket)), peer_(std::move(peer)) {
    set_nonblocking(socket_.fd());
  }
  int fd() const override { return socket_.fd(); }

  IoStep write_some(std::span<const std::byte> bytes) override {
    const std::size_t sent = send_some(socket_.fd(), bytes, times_.socket_write_seconds, peer_);
    return {sent, sent > 0 ? Want::Nothing : Want::Write};
  }

  IoStep read_some(std::span<std::byte> bytes) override {
    for (;;) {
      ssize_t n = 0;
      {
        ScopedTimer timer(times_.socket_read_seconds);
        n = ::recv(socket_.fd(), bytes.data(), bytes.size(), 0);
      }
      if (n > 0) return {static_cast<std::size_t>(n), Want::Nothing};
      if (n == 0) throw PeerClosedError(peer_ + " closed the connection (did it fail or exit?)");
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return {0, Want::Read};
      throw IoError("receiving from " + peer_ + " failed: " + std::strerror(errno));
    }
  }

 private:
  Socket socket_;
  std::string peer_;
};

}  // namespace

std::unique_ptr<Stream> make_plain_stream(Socket socket, std::string peer) {
  return std::make_unique<PlainStream>(std::move(socket), std::move(peer));
}

}  // namespace ringsim
