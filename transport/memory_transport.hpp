#pragma once
// The ring's transport between ranks that are threads of one process
// (--transport mpi on the thread backend): a send and the receive it
// matches meet in a mailbox, and whichever is posted second copies the
// sender's block straight into the receiver's buffer: one memcpy per block,
// no sockets, no staging. Matching is in posting order per direction, and a
// length mismatch fails both ends, as on the other transports.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "transport/transport.hpp"

namespace ringsim {

namespace memory_detail {
struct Transfer;  // one posted send or receive
}

// Every directed pair's queue of posted sends and receives, shared by the
// ranks of one thread group.
class MemoryMailboxes {
 public:
  explicit MemoryMailboxes(int size);
  int size() const { return size_; }

 private:
  friend class MemoryTransport;
  friend class MemoryRequest;
  struct Mailbox {
    std::deque<std::shared_ptr<memory_detail::Transfer>> sends, receives;
  };
  Mailbox& between(int from, int to) { return boxes_[static_cast<std::size_t>(from * size_ + to)]; }

  int size_;
  std::mutex mutex_;
  std::condition_variable changed_;  // a transfer finished or failed
  std::vector<Mailbox> boxes_;
};

class MemoryTransport : public Transport {
 public:
  MemoryTransport(MemoryMailboxes& mailboxes, int rank) : mailboxes_(mailboxes), rank_(rank) {}
  int rank() const override { return rank_; }
  int size() const override { return mailboxes_.size(); }
  std::string name() const override { return "memory"; }
  RequestPtr isend(int peer, std::span<const std::byte> data) override;
  RequestPtr irecv(int peer, std::span<std::byte> data) override;
  TransportStats stats() const override;

 private:
  RequestPtr post(int peer, std::span<std::byte> data, bool is_receive);

  MemoryMailboxes& mailboxes_;
  int rank_;
  std::uint64_t bytes_sent_ = 0, bytes_received_ = 0;
};

}  // namespace ringsim
