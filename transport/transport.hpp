#pragma once
// The one interface the ring talks through: byte buffers to and from peer
// ranks. Messages between two ranks are matched in the order they were
// posted, per direction, and a receive must name the exact length of the
// message it matches (a mismatch is an error, never a silent truncation).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "net/request.hpp"

namespace ringsim {

// One rank-to-rank edge as this rank saw it.
struct EdgeStats {
  int peer = 0;
  std::string peer_host;
  bool encrypted = false;  // TLS on this edge (mpi, tcp and plain edges of --encrypt inter-host: false)
  std::uint64_t bytes_sent = 0, bytes_received = 0;
};

struct TransportStats {
  std::string transport;         // mpi | tcp | tls
  std::string cipher_suite;      // negotiated TLS suite, empty otherwise
  std::string tls_crypto;        // what framed and sealed the TLS records (describe_tls_records), empty otherwise
  bool ktls_send = false;        // TLS: the kernel sealed the records this rank sent (every connection)
  bool ktls_receive = false;     // TLS: the kernel opened the records this rank received (every connection)
  bool tls_pipelined = false;    // TLS: sending and receiving on threads of their own per edge (--tls-pipelining)
  double handshake_seconds = 0;  // connection set-up incl. TLS handshakes
  std::uint64_t bytes_sent = 0;  // payload bytes
  std::uint64_t bytes_received = 0;
  double send_seconds = 0;       // time inside socket send calls (progress threads)
  double receive_seconds = 0;    // time inside socket receive calls
  double encrypt_seconds = 0;    // TLS only: time inside SSL_write minus its socket time
  double decrypt_seconds = 0;    // TLS only: time inside SSL_read minus its socket time
  std::vector<EdgeStats> edges;  // socket transports: one per peer, by rank
};

class Transport {
 public:
  virtual ~Transport() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual std::string name() const = 0;

  virtual RequestPtr isend(int peer, std::span<const std::byte> data) = 0;
  virtual RequestPtr irecv(int peer, std::span<std::byte> data) = 0;
  // Blocks until connection set-up (TLS handshakes) that runs in the
  // background has finished; throws its error. Lets set-up overlap work
  // such as loading the input.
  virtual void await_ready(Millis /*timeout*/) {}
  // Gives transports without their own progress thread a chance to move data;
  // the ring calls it between tiles.
  virtual void progress() {}
  virtual TransportStats stats() const = 0;

  void send(int peer, std::span<const std::byte> data, Millis timeout) { isend(peer, data)->wait(timeout); }
  void recv(int peer, std::span<std::byte> data, Millis timeout) { irecv(peer, data)->wait(timeout); }
};

template <class T>
std::span<const std::byte> as_bytes_of(const T* data, std::size_t count) {
  return {reinterpret_cast<const std::byte*>(data), count * sizeof(T)};
}
template <class T>
std::span<std::byte> as_writable_bytes_of(T* data, std::size_t count) {
  return {reinterpret_cast<std::byte*>(data), count * sizeof(T)};
}

}  // namespace ringsim
