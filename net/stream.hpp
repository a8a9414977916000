#pragma once
// A non-blocking byte stream over one connected socket: plain, or TLS. The
// connection's progress thread drives it; a stream never blocks, it says
// what it is waiting for instead.
#include <poll.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "common/socket.hpp"

namespace ringsim {

// Read / Write: wait until fd() is readable / writable. SendQueue: the
// stream's own queue of sealed records is full; wait until send_queue_fd()
// is readable. ReceiveQueue: the stream's own queue of received records is
// empty; wait until receive_queue_fd() is readable.
enum class Want { Nothing, Read, Write, SendQueue, ReceiveQueue };

struct IoStep {
  std::size_t bytes = 0;  // moved by this call; 0 means "wait for `want`"
  Want want = Want::Nothing;
};

struct StreamTimes {
  double socket_write_seconds = 0;  // inside send(2)
  double socket_read_seconds = 0;   // inside recv(2)
  double encrypt_seconds = 0;       // TLS: time inside SSL_write minus its socket time
  double decrypt_seconds = 0;       // TLS: time inside SSL_read minus its socket time
};

class Stream {
 public:
  virtual ~Stream() = default;
  // One step of the connection set-up (TLS handshake); Nothing when done.
  virtual Want handshake_step() { return Want::Nothing; }
  virtual IoStep write_some(std::span<const std::byte> bytes) = 0;
  virtual IoStep read_some(std::span<std::byte> bytes) = 0;
  virtual int fd() const = 0;
  // Readable when a stream that said Want::SendQueue has room again (-1: none).
  virtual int send_queue_fd() const { return -1; }
  // Readable when a stream that said Want::ReceiveQueue has bytes again (-1: none).
  virtual int receive_queue_fd() const { return -1; }
  virtual std::string cipher_suite() const { return ""; }
  // TLS: whether the kernel seals the records this side sends (kTLS) / opens
  // those it receives; valid once the handshake is done.
  virtual bool kernel_tls_send() const { return false; }
  virtual bool kernel_tls_receive() const { return false; }
  // TLS: KeyUpdates this side sent (a fresh key every so many records).
  virtual std::uint64_t key_updates() const { return 0; }
  const StreamTimes& times() const { return times_; }

 protected:
  StreamTimes times_;
};

// What to poll(2) for `want` of `stream` (fd -1, ignored by poll, for Nothing).
inline pollfd poll_entry(const Stream& stream, Want want) {
  switch (want) {
    case Want::Read:
      return {stream.fd(), POLLIN, 0};
    case Want::Write:
      return {stream.fd(), POLLOUT, 0};
    case Want::SendQueue:
      return {stream.send_queue_fd(), POLLIN, 0};
    case Want::ReceiveQueue:
      return {stream.receive_queue_fd(), POLLIN, 0};
    case Want::Nothing:
      break;
  }
  return {-1, 0, 0};
}

// Plain TCP. Throws IoError when the peer closes or the socket fails;
// `peer` names the other side in those errors.
std::unique_ptr<Stream> make_plain_stream(Socket socket, std::string peer);

}  // namespace ringsim
