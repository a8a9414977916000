// The TLS record receiver's ring (net/record_receiver.hpp) under any
// chunking: bytes written into a socket in pieces of any size, some of them
// handed over as already read, read out through its BIO in pieces of any
// size, through a ring of 16 bytes to 2 KiB (so it wraps and fills over and
// over), arrive whole and in order, then EOF; a read that finds nothing is
// always followed by a wake-up.
//
// Input: [ring size code] [bytes already read] [payload...]; the payload's
// own bytes choose the write and read sizes.
#include <fcntl.h>
#include <openssl/bio.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "fuzz/fuzz_support.hpp"
#include "net/record_receiver.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t capacity = std::size_t{16} << (data[0] % 8);
  const std::vector<unsigned char> payload(data + 2, data + size);
  const std::size_t already = std::min<std::size_t>(data[1] % (capacity + 1), payload.size());
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) ringsim::fuzz::violated("socketpair failed");
  ::fcntl(fds[0], F_SETFL, ::fcntl(fds[0], F_GETFL) | O_NONBLOCK);
  std::thread writer([&] {
    for (std::size_t at = already; at < payload.size();) {
      const std::size_t piece = std::min<std::size_t>(1 + payload[at] % 97, payload.size() - at);
      const ssize_t n = ::send(fds[1], payload.data() + at, piece, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;  // (libFuzzer's timer signal)
      if (n <= 0) break;
      at += static_cast<std::size_t>(n);
    }
    ::shutdown(fds[1], SHUT_WR);
  });
  std::vector<unsigned char> received;
  {
    ringsim::RecordReceiver receiver(fds[0], capacity, {payload.data(), already});
    BIO* bio = receiver.new_bio();
    std::vector<char> buffer(64);
    for (std::size_t reads = 0;; ++reads) {
      const std::size_t want = 1 + (received.empty() ? 0 : received.back() % 61);
      std::size_t got = 0;
      if (BIO_read_ex(bio, buffer.data(), want, &got) == 1) {
        if (got == 0 || got > want) ringsim::fuzz::violated("a read returned 0 or more than asked");
        received.insert(received.end(), buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(got));
        continue;
      }
      if (!BIO_should_retry(bio)) {
        if (BIO_eof(bio) != 1) ringsim::fuzz::violated("a failed read that is neither a retry nor EOF");
        break;
      }
      // (libFuzzer's -timeout sends SIGALRM every timeout / 2 s: an
      // interrupted poll is asked again.)
      pollfd entry{receiver.wake_fd(), POLLIN, 0};
      int ready;
      do ready = ::poll(&entry, 1, 5000);
      while (ready < 0 && errno == EINTR);
      if (ready != 1) ringsim::fuzz::violated("an empty read not followed by a wake-up within 5 s");
    }
    BIO_free(bio);
  }
  writer.join();
  ::close(fds[0]);
  ::close(fds[1]);
  if (received != payload)
    ringsim::fuzz::violated("bytes lost, added or reordered (" + std::to_string(received.size()) + " of " +
                            std::to_string(payload.size()) + ")");
  return 0;
}
