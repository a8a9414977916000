#pragma once
// Pipelined sending of sealed TLS records: while a thread of its own pushes
// batch i (sealed records) into the socket, the connection's progress thread
// seals batch i + 1, so one direction of a TLS edge moves at about
// min(cipher rate, link rate) instead of 1 / (1 / cipher + 1 / link).
//
// OpenSSL writes sealed records into the BIO this makes (new_bio); BIO_flush
// closes the open batch and queues it. OpenSSL's SSL object is only ever
// used from the progress thread: this thread sees ciphertext and the socket.
//
// Example, one 4 MiB block at cipher 4 GB/s and link 1.25 GB/s (10 Gbit/s):
// sealing and sending one after the other take 1.05 + 3.36 ms = 4.4 ms;
// pipelined in 256 KiB batches, 3.36 ms + one batch's sealing (0.07 ms).
#include <openssl/bio.h>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "net/event_fd.hpp"

namespace ringsim {

class RecordSender {
 public:
  // `fd`: a connected non-blocking socket (not owned; it must outlive this).
  // `capacity`: sealed bytes that may wait for the socket before has_room()
  // says no.
  RecordSender(int fd, std::size_t capacity);
  // Sends what is still queued (as closing a socket sends what its buffer
  // holds), giving up when the socket fails or 2 s pass without progress.
  ~RecordSender();
  RecordSender(const RecordSender&) = delete;
  RecordSender& operator=(const RecordSender&) = delete;

  // A write BIO over this sender, for SSL_set0_wbio; the sender outlives it.
  BIO* new_bio();
  // Whether another batch may be sealed: queued bytes below the capacity.
  // Resets wake_fd() first, so a wait on it after a `false` is not missed.
  bool has_room();
  // Readable when a batch has left (room may have freed) or sending failed.
  int wake_fd() const { return wake_.fd(); }
  // The errno of a failed send(2) (0: none); after one, nothing more is sent.
  int error() const;
  // Seconds this sender's thread spent inside send(2).
  double socket_seconds() const { return static_cast<double>(socket_nanoseconds_.load()) * 1e-9; }

  // The BIO's side (progress thread): append sealed bytes; close the batch.
  void append(const char* data, std::size_t size);
  void submit();

 private:
  void run();

  int fd_;
  std::size_t capacity_;
  EventFd wake_;
  std::vector<unsigned char> open_;  // the batch being sealed into (progress thread only)
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::vector<unsigned char>> queue_;   // sealed batches not yet taken by the thread
  std::vector<std::vector<unsigned char>> spare_;  // sent batches, reused for their allocation
  std::size_t queued_bytes_ = 0;                   // in queue_ and in the thread's hands
  bool closing_ = false;
  int error_ = 0;
  std::atomic<std::uint64_t> socket_nanoseconds_{0};
  std::thread thread_;
};

}  // namespace ringsim
