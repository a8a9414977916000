#pragma once
// Pipelined receiving of TLS records: a thread of its own pulls ciphertext
// from the socket into a bounded ring buffer while the connection's progress
// thread has OpenSSL open the records already there, so one direction of a
// TLS edge moves at about min(cipher rate, link rate) instead of
// 1 / (1 / cipher + 1 / link). The counterpart of record_sender.hpp.
//
// Only bytes cross threads: OpenSSL reads the ring through the BIO this
// makes (new_bio) and does all of the record layer (framing, AEAD opening,
// the MAC check) on the progress thread, as in serial receiving. A tampered
// record fails exactly as it does there.
//
// Example, one 4 MiB block at cipher 4 GB/s and link 1.25 GB/s (10 Gbit/s):
// reading and opening one after the other take 3.36 + 1.05 ms = 4.4 ms;
// pipelined, 3.36 ms + the last record's opening (4 us).
#include <openssl/bio.h>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <span>
#include <thread>

#include "common/populated_buffer.hpp"
#include "net/event_fd.hpp"

namespace ringsim {

class RecordReceiver {
 public:
  // `fd`: a connected non-blocking socket (not owned; it must outlive this).
  // `capacity`: ciphertext bytes read ahead of OpenSSL, at most. `already`:
  // bytes read from the socket before (they come first; at most capacity).
  RecordReceiver(int fd, std::size_t capacity, std::span<const unsigned char> already);
  // Stops the thread; what it read ahead is dropped with the connection.
  ~RecordReceiver();
  RecordReceiver(const RecordReceiver&) = delete;
  RecordReceiver& operator=(const RecordReceiver&) = delete;

  // A read BIO over this receiver, for SSL_set0_rbio; the receiver outlives it.
  BIO* new_bio();
  // Readable when bytes arrived (or the peer closed) after a read found none.
  int wake_fd() const { return wake_.fd(); }
  // Seconds this receiver's thread spent inside recv(2).
  double socket_seconds() const { return static_cast<double>(socket_nanoseconds_.load()) * 1e-9; }

  // The BIO's side (progress thread): up to `wanted` bytes into `out`; 0
  // when none are there (then wake_fd() says when) or the peer closed.
  std::size_t take(char* out, std::size_t wanted);
  std::size_t pending() const;
  bool closed_and_empty() const;

 private:
  void run();

  int fd_;
  PopulatedBuffer ring_;
  EventFd wake_;  // signalled for the progress thread
  EventFd stop_;  // signalled for this receiver's thread
  mutable std::mutex mutex_;
  std::condition_variable room_;
  // Bytes ever written into / taken from the ring; ring_[taken_ % size, written_ % size) is unread.
  std::uint64_t written_ = 0, taken_ = 0;
  bool reader_waits_ = false;    // the progress thread found the ring empty
  bool receiver_waits_ = false;  // the thread found the ring full and waits for a quarter of it
  bool closed_ = false;          // the peer closed (or reset) the connection
  bool stopping_ = false;
  std::atomic<std::uint64_t> socket_nanoseconds_{0};
  std::thread thread_;
};

}  // namespace ringsim
