#pragma once
// How results reach rank 0 after the ring: every message of the write
// phase between a rank and rank 0 goes through here, with the waits'
// bounds chosen once.
#include <span>

#include "common/clock.hpp"
#include "transport/transport.hpp"

namespace ringsim {

class RootLink {
 public:
  RootLink(Transport& transport, Millis timeout) : transport_(transport), timeout_(timeout) {}

  int rank() const { return transport_.rank(); }
  int ranks() const { return transport_.size(); }

  // A rank other than 0, to and from rank 0. It waits longer than rank 0
  // waits on any one rank, so that when a rank is missing rank 0 notices
  // first and names it (and not a healthy rank, rank 0 then being busy
  // waiting for the missing one).
  void send_to_root(std::span<const std::byte> bytes) { transport_.send(0, bytes, follower_timeout()); }
  void receive_from_root(std::span<std::byte> bytes) { transport_.recv(0, bytes, follower_timeout()); }

  // Rank 0, to and from rank `source`.
  void send_to(int source, std::span<const std::byte> bytes) { transport_.send(source, bytes, timeout_); }
  void receive_from(int source, std::span<std::byte> bytes) { transport_.recv(source, bytes, timeout_); }

 private:
  Millis follower_timeout() const { return timeout_ + std::chrono::seconds(3); }

  Transport& transport_;
  Millis timeout_;
};

}  // namespace ringsim
