#pragma once
// One posted send or receive of bytes to or from a peer: what a connection
// (net/connection.hpp) hands back for each transfer, and what the ring's
// transports return (transport/transport.hpp).
#include <chrono>
#include <memory>

namespace ringsim {

using Millis = std::chrono::milliseconds;

// One posted send or receive. Move-only; the buffer it names must stay alive
// until wait() returned.
class Request {
 public:
  virtual ~Request() = default;
  // True once the transfer is complete; throws if it failed.
  virtual bool test() = 0;
  // Blocks until complete; throws TimeoutError naming the peer after `timeout`.
  virtual void wait(Millis timeout) = 0;
};
using RequestPtr = std::unique_ptr<Request>;

}  // namespace ringsim
