#pragma once
// The read side of a TLS connection: a BIO that pulls from the socket in
// large recv(2) calls and hands OpenSSL exactly the bytes it asks for.
//
// Why not OpenSSL's read-ahead: with it, every record OpenSSL starts on
// moves all still-unread bytes to the front of its buffer (ssl3_read_n's
// memmove), so a 256 KiB read-ahead copies each byte ~8 more times; it was
// 20% of a TLS transfer's CPU. Without read-ahead and without this BIO,
// each 16 KiB record costs two system calls (header, body).
#include <openssl/bio.h>

#include <cstddef>
#include <span>

#include "common/populated_buffer.hpp"

namespace ringsim {

class SocketReader {
 public:
  SocketReader(int fd, std::size_t buffer_bytes, double* socket_seconds);
  enum class Fill { Read, WouldBlock, Closed };
  // One recv(2) into the free end of the buffer, after moving the unread
  // bytes (less than a record) to its front. An orderly close and every
  // socket error other than would-block (a reset) are Closed: the peer is
  // gone either way.
  Fill fill();
  std::span<const unsigned char> unread() const { return {buffer_.bytes() + begin_, end_ - begin_}; }
  void consume(std::size_t bytes) { begin_ += bytes; }
  bool at_eof() const { return at_eof_; }
  // The first byte the peer ever sent, or -1: tells a TLS peer (0x16
  // handshake, 0x15 alert) from one speaking plaintext.
  int first_byte() const { return first_byte_; }

 private:
  int fd_;
  PopulatedBuffer buffer_;
  std::size_t begin_ = 0, end_ = 0;  // unread bytes: buffer_[begin_, end_)
  bool at_eof_ = false;              // the peer closed its side
  int first_byte_ = -1;
  double* socket_seconds_;
};

// A new BIO reading from `fd` (non-blocking; not closed by the BIO) through
// a buffer of `buffer_bytes`; adds the time spent inside recv(2) to
// *socket_seconds. Free with BIO_free (or hand it to SSL_set_bio). Null
// when OpenSSL cannot make a BIO; throws IoError when the buffer cannot be
// mapped.
BIO* new_socket_read_bio(int fd, std::size_t buffer_bytes, double* socket_seconds);
// The reader behind a BIO made by new_socket_read_bio (owned by the BIO).
SocketReader& socket_reader_of(BIO* bio);

}  // namespace ringsim
