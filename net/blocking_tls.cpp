#include "net/blocking_tls.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>

#include "common/errors.hpp"
#include "common/stop_signal.hpp"

namespace ringsim {

BlockingTls::BlockingTls(Socket socket, const TlsContext& context, bool server, const std::string& expected_host,
                         std::string peer, Deadline deadline)
    : peer_(std::move(peer)) {
  set_nonblocking(socket.fd());
  stream_ = make_tls_stream(std::move(socket), context, server, expected_host, peer_);
  for (Want want; (want = stream_->handshake_step()) != Want::Nothing;) wait_for(want, deadline);
}

void BlockingTls::wait_for(Want want, Deadline deadline) {
  for (;;) {
    throw_if_stopped();
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) throw TimeoutError("no answer from " + peer_ + " in time");
    pollfd entry = poll_entry(*stream_, want);
    const int ready = ::poll(&entry, 1, static_cast<int>(std::min<std::int64_t>(left.count(), 100)));
    if (ready > 0) return;
    if (ready < 0 && errno != EINTR) throw_errno("poll on the connection to " + peer_);
  }
}

void BlockingTls::write_all(std::span<const std::byte> bytes, Deadline deadline) {
  while (!bytes.empty()) {
    const IoStep step = stream_->write_some(bytes);
    if (step.bytes == 0) {
      wait_for(step.want, deadline);
      continue;
    }
    bytes = bytes.subspan(step.bytes);  // (a stream counts bytes only once they left for the socket)
  }
}

std::size_t BlockingTls::read_some(std::span<std::byte> bytes, Deadline deadline) {
  for (;;) {
    const IoStep step = stream_->read_some(bytes);
    if (step.bytes > 0) return step.bytes;
    wait_for(step.want == Want::Nothing ? Want::Read : step.want, deadline);
  }
}

}  // namespace ringsim
