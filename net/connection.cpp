#include "net/connection.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "common/clock.hpp"
#include "common/errors.hpp"
#include "common/stop_signal.hpp"
#include "net/tls_stream.hpp"

namespace ringsim {

namespace {
// Bytes handed to one write/read call: large enough to amortise the call
// (a TLS write of this size is 16 records), small enough that a blocked
// socket does not hold up the other direction for long.
constexpr std::size_t kChunk = std::size_t{256} << 10;
// Bytes one direction may move before the other direction gets a turn.
constexpr std::size_t kTurn = std::size_t{2} << 20;
constexpr std::size_t kHeader = sizeof(std::uint64_t);
}  // namespace

struct Connection::Operation {
  bool is_send = false;
  std::span<std::byte> buffer;  // receive target, or the send source (const_cast on the way in)
  std::byte header[kHeader] = {};
  std::size_t header_done = 0;
  std::size_t done = 0;
  bool complete = false;
  bool cancelled = false;
  bool in_use = false;  // the progress thread is touching `buffer`
  std::exception_ptr error;
};

namespace {

class ConnectionRequest : public Request {
 public:
  ConnectionRequest(std::shared_ptr<Connection::Operation> op, std::mutex& mutex, std::condition_variable& changed,
                    std::string what)
      : op_(std::move(op)), mutex_(mutex), changed_(changed), what_(std::move(what)) {}

  ~ConnectionRequest() override {
    // Dropped before completion (an error is unwinding): make sure the
    // progress thread never touches the caller's buffer again.
    std::unique_lock lock(mutex_);
    if (op_->complete) return;
    op_->cancelled = true;
    changed_.wait(lock, [&] { return !op_->in_use; });
  }

  bool test() override {
    std::lock_guard lock(mutex_);
    if (op_->error) std::rethrow_exception(op_->error);
    return op_->complete;
  }

  void wait(Millis timeout) override {
    std::unique_lock lock(mutex_);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    bool finished = false;
    // Wake every 100 ms to honour a stop request (SIGTERM) while waiting.
    while (!(finished = op_->complete || op_->error) && std::chrono::steady_clock::now() < deadline) {
      changed_.wait_for(lock, std::min<std::chrono::steady_clock::duration>(
                                  std::chrono::milliseconds(100), deadline - std::chrono::steady_clock::now()));
      if (stop_signal() != 0) {
        lock.unlock();
        throw_if_stopped();
      }
    }
    if (op_->error) std::rethrow_exception(op_->error);
    if (!finished) throw TimeoutError(fmt::format("{} timed out after {:g} s", what_, timeout.count() / 1000.0));
  }

 private:
  std::shared_ptr<Connection::Operation> op_;
  std::mutex& mutex_;
  std::condition_variable& changed_;
  std::string what_;
};

}  // namespace

Connection::Connection(std::unique_ptr<Stream> stream, std::string peer)
    : stream_(std::move(stream)), peer_(std::move(peer)), thread_([this] { run(); }) {}

Connection::~Connection() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.signal();
  thread_.join();
}

void Connection::wait_ready(Millis timeout) {
  std::unique_lock lock(mutex_);
  if (!changed_.wait_for(lock, timeout, [&] { return ready_ || error_; }))
    throw TimeoutError("connection set-up with " + peer_ + " timed out");
  if (error_) std::rethrow_exception(error_);
}

RequestPtr Connection::post_send(std::span<const std::byte> data) {
  auto op = std::make_shared<Operation>();
  op->is_send = true;
  op->buffer = {const_cast<std::byte*>(data.data()), data.size()};
  const std::uint64_t length = data.size();
  std::memcpy(op->header, &length, kHeader);
  return post(sends_, std::move(op), "send to " + peer_);
}

RequestPtr Connection::post_receive(std::span<std::byte> data) {
  auto op = std::make_shared<Operation>();
  op->buffer = data;
  return post(receives_, std::move(op), "receive from " + peer_);
}

RequestPtr Connection::post(std::deque<std::shared_ptr<Operation>>& queue, std::shared_ptr<Operation> op,
                            std::string what) {
  {
    std::lock_guard lock(mutex_);
    if (error_)
      op->error = error_;
    else
      queue.push_back(op);
  }
  wake_.signal();
  return std::make_unique<ConnectionRequest>(std::move(op), mutex_, changed_, std::move(what));
}

Connection::Totals Connection::totals() const {
  std::lock_guard lock(mutex_);
  Totals totals = totals_;
  totals.times = stream_->times();
  totals.key_updates = stream_->key_updates();
  return totals;
}

void Connection::fail(std::exception_ptr error) {
  std::lock_guard lock(mutex_);
  if (!error_) error_ = error;
  for (auto* queue : {&sends_, &receives_}) {
    for (auto& op : *queue) op->error = error_;
    queue->clear();
  }
  changed_.notify_all();
}

void Connection::run() {
  try {
    const double started = now_seconds();
    for (Want want = stream_->handshake_step(); want != Want::Nothing; want = stream_->handshake_step()) {
      pollfd fds[2] = {poll_entry(*stream_, want), {wake_.fd(), POLLIN, 0}};
      if (::poll(fds, 2, 200) < 0 && errno != EINTR) throw_errno("poll");
      if (fds[1].revents) {
        wake_.drain();
        std::lock_guard lock(mutex_);
        if (stopping_) return;
      }
    }
    {
      std::lock_guard lock(mutex_);
      totals_.handshake_seconds = now_seconds() - started;
      totals_.cipher_suite = stream_->cipher_suite();
      totals_.kernel_tls_send = stream_->kernel_tls_send();
      totals_.kernel_tls_receive = stream_->kernel_tls_receive();
      ready_ = true;
    }
    changed_.notify_all();
    serve();
  } catch (...) {
    // A broken connection is closed at once (not when the process exits),
    // so the peer learns of it now; the stream stays for its statistics.
    ::shutdown(stream_->fd(), SHUT_RDWR);
    fail(std::current_exception());
  }
}

void Connection::serve() {
  for (;;) {
    std::shared_ptr<Operation> send, receive;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      // Cancelled operations leave the stream mid-message: nothing after
      // them can be trusted, so the connection is closed for business.
      for (auto* queue : {&sends_, &receives_})
        if (!queue->empty() && queue->front()->cancelled)
          throw IoError("connection to " + peer_ + " abandoned mid-message");
      if (!sends_.empty()) (send = sends_.front())->in_use = true;
      if (!receives_.empty()) (receive = receives_.front())->in_use = true;
    }
    bool progressed = false;
    std::exception_ptr error;
    bool receiving = false;
    try {
      if (send) progressed |= progress_send(*send);
      receiving = true;
      if (receive) progressed |= progress_receive(*receive);
    } catch (...) {
      error = std::current_exception();
    }
    if (error && !receiving) read_why_send_failed(receive.get(), error);
    if (release(send.get(), receive.get())) changed_.notify_all();
    if (error) std::rethrow_exception(error);
    if (progressed) continue;

    wait_for_stream(send != nullptr, receive != nullptr);
  }
}

void Connection::read_why_send_failed(Operation* receive, std::exception_ptr& error) {
  // A send fails when the peer has closed; what it sent before closing
  // (a TLS alert, its reason) says more than the broken pipe. With no
  // receive posted, read into scratch: the connection is failing anyway.
  try {
    if (receive) {
      progress_receive(*receive);
    } else {
      std::array<std::byte, 1 << 14> scratch;
      for (int i = 0; i < 64 && stream_->read_some(scratch).bytes > 0; ++i) {
      }
    }
  } catch (const TlsError&) {
    error = std::current_exception();
  } catch (...) {
    if (receive) error = std::current_exception();
  }
}

bool Connection::release(Operation* send, Operation* receive) {
  bool waiters_care = false;  // wake waiting threads only for news they wait for
  std::lock_guard lock(mutex_);
  for (auto* op : {send, receive})
    if (op) {
      op->in_use = false;
      waiters_care |= op->complete || op->cancelled;
    }
  if (send && send->complete) sends_.pop_front();
  if (receive && receive->complete) receives_.pop_front();
  return waiters_care;
}

void Connection::wait_for_stream(bool sending, bool receiving) {
  // What each direction waits for: the socket, or (TLS) a queue of sealed
  // records with room again, or one of received records with bytes. A
  // direction with nothing to wait for stays out of the poll: a closed
  // peer would otherwise report POLLHUP forever and spin the thread.
  pollfd fds[3] = {poll_entry(*stream_, sending ? send_want_ : Want::Nothing),
                   poll_entry(*stream_, receiving ? receive_want_ : Want::Nothing),
                   {wake_.fd(), POLLIN, 0}};
  const int n = ::poll(fds, 3, 200);
  if (n < 0 && errno != EINTR) throw_errno("poll");
  if (n > 0 && fds[2].revents) wake_.drain();
}

bool Connection::progress_send(Operation& op) {
  return transfer(op, send_want_, totals_.bytes_sent, [this](std::byte* data, std::size_t size) {
    return stream_->write_some({data, size});
  });
}

bool Connection::progress_receive(Operation& op) {
  return transfer(op, receive_want_, totals_.bytes_received, [this](std::byte* data, std::size_t size) {
    return stream_->read_some({data, size});
  });
}

template <class Step>
bool Connection::transfer(Operation& op, Want& want, std::uint64_t& counter, Step step) {
  bool progressed = false;
  // The 8-byte length first (written from / read into op.header) ...
  while (op.header_done < kHeader) {
    IoStep moved;
    try {
      moved = step(op.header + op.header_done, kHeader - op.header_done);
    } catch (const PeerClosedError&) {
      // A TLS rank answers a plaintext one with a clear-text alert, then
      // closes: say so rather than "closed the connection".
      if (!op.is_send && op.header_done == sizeof kPlaintextAlert &&
          std::memcmp(op.header, kPlaintextAlert, sizeof kPlaintextAlert) == 0)
        throw IoError(peer_ +
                      " refused this rank's connection: peer spoke plaintext (this rank runs --transport "
                      "tcp, the peer runs tls)");
      throw;
    }
    if (moved.bytes == 0) {
      want = moved.want;
      return progressed;
    }
    op.header_done += moved.bytes;
    progressed = true;
    if (op.header_done == kHeader && !op.is_send) {
      std::uint64_t length = 0;
      std::memcpy(&length, op.header, kHeader);
      if (length != op.buffer.size())
        throw IoError("message from " + peer_ + " has " + std::to_string(length) + " bytes, expected " +
                      std::to_string(op.buffer.size()) + " (the peers disagree on the protocol)");
    }
  }
  // ... then the payload, in chunks, until done, blocked, or this turn is used up.
  std::size_t moved_total = 0;
  while (op.done < op.buffer.size()) {
    const std::size_t chunk = std::min(kChunk, op.buffer.size() - op.done);
    const IoStep moved = step(op.buffer.data() + op.done, chunk);
    if (moved.bytes == 0) {
      want = moved.want;
      break;
    }
    op.done += moved.bytes;
    moved_total += moved.bytes;
    progressed = true;
    if (moved_total >= kTurn) break;  // let the other direction have a turn
  }
  {
    std::lock_guard lock(mutex_);
    counter += moved_total;
  }
  if (op.done == op.buffer.size()) {
    op.complete = true;
    progressed = true;
  }
  return progressed;
}

}  // namespace ringsim
