#include "transport/memory_transport.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "common/errors.hpp"
#include "common/stop_signal.hpp"

namespace ringsim {

namespace memory_detail {

enum class State { posted, copying, done, failed };

struct Transfer {
  std::span<std::byte> data;  // a send's is only read
  State state = State::posted;
  std::string error;
};

}  // namespace memory_detail

using memory_detail::State;
using memory_detail::Transfer;

namespace {
// How often a wait looks at the stop request and the job's failure while
// its peer has not posted: well inside run_thread_job's 1 s to stop.
constexpr auto kStopPoll = std::chrono::milliseconds(50);
}  // namespace

MemoryMailboxes::MemoryMailboxes(int size) : size_(size), boxes_(static_cast<std::size_t>(size * size)) {}

class MemoryRequest : public Request {
 public:
  MemoryRequest(MemoryMailboxes& mailboxes, MemoryMailboxes::Mailbox& box, std::shared_ptr<Transfer> transfer, int peer,
                bool is_receive)
      : mailboxes_(mailboxes), box_(box), transfer_(std::move(transfer)), peer_(peer), is_receive_(is_receive) {}

  ~MemoryRequest() override {
    // A request dropped unfinished (error unwinding) must leave no peer
    // copying into or out of its buffer: withdraw it, or let a copy under
    // way end first.
    std::unique_lock lock(mailboxes_.mutex_);
    auto& queue = is_receive_ ? box_.receives : box_.sends;
    queue.erase(std::remove(queue.begin(), queue.end(), transfer_), queue.end());
    mailboxes_.changed_.wait(lock, [&] { return transfer_->state != State::copying; });
  }

  bool test() override {
    std::lock_guard lock(mailboxes_.mutex_);
    return finished();
  }

  void wait(Millis timeout) override {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::unique_lock lock(mailboxes_.mutex_);
    while (!finished()) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline)
        throw TimeoutError(
            fmt::format("waited {:g} s for rank {} to {} a block of {} bytes (memory transport; "
                        "--timeout sets this bound)",
                        std::chrono::duration<double>(timeout).count(), peer_, is_receive_ ? "send" : "receive",
                        transfer_->data.size()));
      mailboxes_.changed_.wait_for(lock, std::min<std::chrono::steady_clock::duration>(kStopPoll, deadline - now));
      lock.unlock();
      throw_if_stopped();  // the caller's stop, or another rank's failure
      lock.lock();
    }
  }

 private:
  // Under the mailboxes' lock: true when done; throws when failed.
  bool finished() const {
    if (transfer_->state == State::failed) throw IoError(transfer_->error);
    return transfer_->state == State::done;
  }

  MemoryMailboxes& mailboxes_;
  MemoryMailboxes::Mailbox& box_;
  std::shared_ptr<Transfer> transfer_;
  int peer_;
  bool is_receive_;
};

RequestPtr MemoryTransport::isend(int peer, std::span<const std::byte> data) {
  // Only read: the span is writable for the one type Transfer holds.
  return post(peer, {const_cast<std::byte*>(data.data()), data.size()}, false);
}

RequestPtr MemoryTransport::irecv(int peer, std::span<std::byte> data) { return post(peer, data, true); }

RequestPtr MemoryTransport::post(int peer, std::span<std::byte> data, bool is_receive) {
  RINGSIM_ENFORCE(peer >= 0 && peer < size() && peer != rank_, "memory transport: no such peer");
  auto& box = is_receive ? mailboxes_.between(peer, rank_) : mailboxes_.between(rank_, peer);
  auto transfer = std::make_shared<Transfer>();
  transfer->data = data;
  (is_receive ? bytes_received_ : bytes_sent_) += data.size();
  std::unique_lock lock(mailboxes_.mutex_);
  (is_receive ? box.receives : box.sends).push_back(transfer);
  if (!box.sends.empty() && !box.receives.empty()) {
    // The oldest of each direction's queue match: this post completed a pair.
    const auto send = box.sends.front(), receive = box.receives.front();
    box.sends.pop_front();
    box.receives.pop_front();
    if (send->data.size() != receive->data.size()) {
      const int from = is_receive ? peer : rank_, to = is_receive ? rank_ : peer;
      send->error = receive->error = fmt::format("rank {} sent {} bytes where rank {} expected {} (memory transport)",
                                                 from, send->data.size(), to, receive->data.size());
      send->state = receive->state = State::failed;
    } else {
      send->state = receive->state = State::copying;
      lock.unlock();  // the copy runs while other pairs post and match
      if (!send->data.empty()) std::memcpy(receive->data.data(), send->data.data(), send->data.size());
      lock.lock();
      send->state = receive->state = State::done;
    }
    mailboxes_.changed_.notify_all();
  }
  return std::make_unique<MemoryRequest>(mailboxes_, box, std::move(transfer), peer, is_receive);
}

TransportStats MemoryTransport::stats() const {
  TransportStats stats;
  stats.transport = name();
  stats.bytes_sent = bytes_sent_;
  stats.bytes_received = bytes_received_;
  return stats;
}

}  // namespace ringsim
