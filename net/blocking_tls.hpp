#pragma once
// A TLS 1.3 session over one connected socket, driven synchronously: for
// small, rare messages (the launcher's control channel) where a progress
// thread would be overkill. Same trust rules as the ranks' links
// (tls_stream.hpp): both sides present a certificate of the job CA, and each
// checks that the peer's certificate names the host it expects.
#include <memory>
#include <span>
#include <string>

#include "common/socket.hpp"
#include "net/stream.hpp"
#include "net/tls_stream.hpp"

namespace ringsim {

class BlockingTls {
 public:
  // Completes the handshake by `deadline`; throws TlsError naming `peer`
  // and why it was refused, or TimeoutError.
  BlockingTls(Socket socket, const TlsContext& context, bool server, const std::string& expected_host, std::string peer,
              Deadline deadline);
  void write_all(std::span<const std::byte> bytes, Deadline deadline);
  // At least one byte, by `deadline`; throws IoError when the peer closes.
  // Wakes every 100 ms to honour a stop request.
  std::size_t read_some(std::span<std::byte> bytes, Deadline deadline);
  int fd() const { return stream_->fd(); }

 private:
  void wait_for(Want want, Deadline deadline);
  std::unique_ptr<Stream> stream_;
  std::string peer_;
};

}  // namespace ringsim
