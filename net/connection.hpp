#pragma once
// One connection to one peer rank, driven by its own progress thread so that
// transfers (and TLS encryption) run while the caller computes. Sends and
// receives are queued per direction and completed in posting order; each
// message travels as an 8-byte length followed by the payload, and a
// receive whose length differs from the message's is an error.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "net/event_fd.hpp"
#include "net/request.hpp"
#include "net/stream.hpp"

namespace ringsim {

class Connection {
 public:
  // `peer`: names the other side in errors (e.g. "rank 3 (host algo-2)").
  Connection(std::unique_ptr<Stream> stream, std::string peer);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Blocks until the stream's handshake finished; throws its error.
  void wait_ready(Millis timeout);
  RequestPtr post_send(std::span<const std::byte> data);
  RequestPtr post_receive(std::span<std::byte> data);

  struct Totals {
    std::uint64_t bytes_sent = 0, bytes_received = 0;
    double handshake_seconds = 0;
    StreamTimes times;
    std::string cipher_suite;
    bool kernel_tls_send = false, kernel_tls_receive = false;  // TLS records sealed / opened by the kernel
    std::uint64_t key_updates = 0;                             // TLS KeyUpdates sent
  };
  Totals totals() const;

  struct Operation;  // shared with the requests

 private:
  void run();
  void serve();
  // serve()'s steps: after a failed send, the peer's last words (a TLS
  // alert) replace `error` where there are any; the operations handed back
  // to the queues (true: a waiting thread has news); the poll until the
  // stream can move again or an operation is posted.
  void read_why_send_failed(Operation* receive, std::exception_ptr& error);
  bool release(Operation* send, Operation* receive);
  void wait_for_stream(bool sending, bool receiving);
  bool progress_send(Operation& op);
  bool progress_receive(Operation& op);
  // One direction's header + payload through `step` (the stream's write or read).
  template <class Step>
  bool transfer(Operation& op, Want& want, std::uint64_t& counter, Step step);
  // Queues `op` on `queue` (or fails it at once on a broken connection)
  // and wakes the progress thread; `what` names the transfer in a timeout.
  RequestPtr post(std::deque<std::shared_ptr<Operation>>& queue, std::shared_ptr<Operation> op, std::string what);
  void fail(std::exception_ptr error);

  std::unique_ptr<Stream> stream_;
  std::string peer_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::shared_ptr<Operation>> sends_, receives_;
  bool ready_ = false;
  bool stopping_ = false;
  std::exception_ptr error_;  // set once: the connection is broken
  Totals totals_;
  EventFd wake_;  // the progress thread's: new operations, stopping
  Want send_want_ = Want::Nothing, receive_want_ = Want::Nothing;
  std::thread thread_;
};

}  // namespace ringsim
