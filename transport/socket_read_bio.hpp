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

namespace ringsim {

// A new BIO reading from `fd` (non-blocking; not closed by the BIO) through
// a buffer of `buffer_bytes`; adds the time spent inside recv(2) to
// *socket_seconds. Free with BIO_free (or hand it to SSL_set_bio).
BIO* new_socket_read_bio(int fd, std::size_t buffer_bytes, double* socket_seconds);

}  // namespace ringsim
