#pragma once
// Two connections over a local socket pair, plain or TLS, without MPI, and
// the byte patterns the connection tests move across them.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <vector>

#include "net/connection.hpp"
#include "net/tls_stream.hpp"
#include "tests/tls_fixture.hpp"

namespace ringsim::testing {

struct Pair {
  std::unique_ptr<Connection> left, right;
};

// tls_serial: TLS that seals and sends, reads and opens one after the other
// (no record_sender.hpp, no record_receiver.hpp).
enum class PairKind { tcp, tls, tls_serial };

inline Pair make_pair(PairKind kind, int buffer_bytes = 0) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) throw std::runtime_error("socketpair");
  if (buffer_bytes > 0)
    for (int fd : fds) {
      ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer_bytes, sizeof buffer_bytes);
      ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof buffer_bytes);
    }
  Socket a(fds[0]), b(fds[1]);
  Pair pair;
  if (kind == PairKind::tcp) {
    pair.left = std::make_unique<Connection>(make_plain_stream(std::move(a), "left"), "left peer");
    pair.right = std::make_unique<Connection>(make_plain_stream(std::move(b), "right"), "right peer");
  } else {
    static std::unique_ptr<TlsContext> left_ctx, right_ctx;
    left_ctx = tls_context(host_certificate("left-host"));
    right_ctx = tls_context(host_certificate("right-host"));
    for (auto* ctx : {left_ctx.get(), right_ctx.get()}) {
      ctx->set_pipelined_sending(kind == PairKind::tls);
      ctx->set_pipelined_receiving(kind == PairKind::tls);
    }
    pair.left = std::make_unique<Connection>(make_tls_stream(std::move(a), *left_ctx, false, "right-host", "right"),
                                             "right peer");
    pair.right =
        std::make_unique<Connection>(make_tls_stream(std::move(b), *right_ctx, true, "left-host", "left"), "left peer");
  }
  pair.left->wait_ready(Millis(10000));
  pair.right->wait_ready(Millis(10000));
  return pair;
}

inline std::vector<std::byte> pattern(std::size_t size, unsigned seed) {
  std::vector<std::byte> data(size);
  std::uint32_t x = seed * 2654435761u + 1;
  for (auto& b : data) {
    x = x * 1664525u + 1013904223u;
    b = static_cast<std::byte>(x >> 24);
  }
  return data;
}

inline void exchange(Pair& pair, std::size_t size) {
  // Both directions at once, as the ring does.
  const auto out_left = pattern(size, 1), out_right = pattern(size, 2);
  std::vector<std::byte> in_left(size), in_right(size);
  auto r1 = pair.right->post_receive(in_right);
  auto r2 = pair.left->post_receive(in_left);
  auto s1 = pair.left->post_send(out_left);
  auto s2 = pair.right->post_send(out_right);
  for (auto* r : {&s1, &s2, &r1, &r2}) (*r)->wait(Millis(120000));
  EXPECT_TRUE(in_right == out_left) << size << " bytes left -> right";
  EXPECT_TRUE(in_left == out_right) << size << " bytes right -> left";
}

// Waiting for `connection`'s handshake, as a callable for the exception
// matchers (a handshake that succeeds fails them too).
inline auto handshake(Connection& connection) {
  return [&connection] { connection.wait_ready(Millis(10000)); };
}

}  // namespace ringsim::testing
