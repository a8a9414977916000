// Connections over a local socket pair, plain and TLS, without MPI: message
// sizes that cross every chunk boundary, tiny kernel buffers (many partial
// reads and writes), signals interrupting system calls, length mismatches,
// a peer that goes away, timeouts, and pipelined TLS records.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <numeric>
#include <thread>
#include <tuple>

#include "common/errors.hpp"
#include "net/certificates.hpp"
#include "net/connection.hpp"
#include "net/tls_stream.hpp"
#include "tests/net/connection_pair.hpp"
#include "tests/tls_fixture.hpp"
#include "tests/tls_pair.hpp"

using namespace ringsim;
using namespace ringsim::testing;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace {

class ConnectionTest : public ::testing::TestWithParam<PairKind> {};

}  // namespace

TEST_P(ConnectionTest, SizesAcrossChunkBoundaries) {
  Pair pair = make_pair(GetParam());
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{(1 << 20) + 1}, std::size_t{256} << 20})
    exchange(pair, size);
  EXPECT_EQ(pair.left->totals().bytes_sent, 1u + (1 << 20) + 1 + (std::size_t{256} << 20));
  if (GetParam() != PairKind::tcp) {
    EXPECT_EQ(pair.left->totals().cipher_suite, "TLS_AES_128_GCM_SHA256");
  }
}

TEST_P(ConnectionTest, TinyBuffersAndSignalsStillDeliverEveryByte) {
  // 4 KiB kernel buffers force thousands of partial writes and reads, and a
  // 1 kHz timer signal interrupts the system calls (EINTR) throughout.
  struct sigaction action {};
  action.sa_handler = [](int) {};
  ::sigaction(SIGALRM, &action, nullptr);  // no SA_RESTART: calls really fail with EINTR
  itimerval timer{{0, 1000}, {0, 1000}};
  ::setitimer(ITIMER_REAL, &timer, nullptr);
  Pair pair = make_pair(GetParam(), 4096);
  for (std::size_t size : {std::size_t{1}, std::size_t{(1 << 20) + 1}, std::size_t{8} << 20}) exchange(pair, size);
  itimerval off{};
  ::setitimer(ITIMER_REAL, &off, nullptr);
}

TEST_P(ConnectionTest, ManyMessagesKeepTheirOrder) {
  Pair pair = make_pair(GetParam());
  std::vector<std::vector<std::byte>> sent, received;
  std::vector<RequestPtr> requests;
  for (unsigned i = 0; i < 50; ++i) {
    sent.push_back(pattern(i * 97 + 1, i));
    received.emplace_back(sent.back().size());
  }
  for (unsigned i = 0; i < 50; ++i) requests.push_back(pair.right->post_receive(received[i]));
  for (unsigned i = 0; i < 50; ++i) requests.push_back(pair.left->post_send(sent[i]));
  for (auto& r : requests) r->wait(Millis(10000));
  EXPECT_TRUE(sent == received);
}

TEST_P(ConnectionTest, LengthMismatchIsAnError) {
  Pair pair = make_pair(GetParam());
  std::vector<std::byte> out(100), in(99);
  auto s = pair.left->post_send(out);
  auto r = pair.right->post_receive(in);
  EXPECT_THROW(r->wait(Millis(10000)), Error);
}

TEST_P(ConnectionTest, PeerThatGoesAwayFailsTheWaitWithItsName) {
  Pair pair = make_pair(GetParam());
  std::vector<std::byte> in(1000);
  auto r = pair.right->post_receive(in);
  pair.left.reset();  // the peer process dies: its socket closes
  EXPECT_THAT([&] { r->wait(Millis(10000)); }, ThrowsMessage<Error>(HasSubstr("closed")));
}

TEST_P(ConnectionTest, SilentPeerTimesOut) {
  Pair pair = make_pair(GetParam());
  std::vector<std::byte> in(10);
  auto r = pair.right->post_receive(in);
  EXPECT_THROW(r->wait(Millis(200)), TimeoutError);
}

INSTANTIATE_TEST_SUITE_P(PlainAndTls, ConnectionTest,
                         ::testing::Values(PairKind::tcp, PairKind::tls, PairKind::tls_serial), [](const auto& info) {
                           return info.param == PairKind::tcp   ? "tcp"
                                  : info.param == PairKind::tls ? "tls"
                                                                : "tls_serial";
                         });

namespace {

// Forwards bytes between two sockets in both directions until either side
// closes, flipping one bit of the byte at `flip_at` (counted from the first
// byte `from_a` sent to `b`): a man in the middle that alters one record.
void forward_flipping(int a, int b, std::size_t flip_at) {
  std::size_t forwarded = 0;
  std::vector<char> buffer(1 << 16);
  for (;;) {
    pollfd fds[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
    if (::poll(fds, 2, 10000) <= 0) return;
    for (int i = 0; i < 2; ++i) {
      if (!fds[i].revents) continue;
      const ssize_t n = ::read(fds[i].fd, buffer.data(), buffer.size());
      if (n <= 0) return;
      if (i == 0 && flip_at >= forwarded && flip_at < forwarded + static_cast<std::size_t>(n))
        buffer[flip_at - forwarded] ^= 0x01;
      if (i == 0) forwarded += static_cast<std::size_t>(n);
      for (ssize_t sent = 0; sent < n;) {
        const ssize_t m = ::write(i == 0 ? b : a, buffer.data() + sent, static_cast<std::size_t>(n - sent));
        if (m <= 0) return;
        sent += m;
      }
    }
  }
}

}  // namespace

// (byte of the client's stream to flip, whether the server receives pipelined)
class TamperTest : public ::testing::TestWithParam<std::tuple<std::size_t, bool>> {};

TEST_P(TamperTest, AlteredRecordFailsTheReceiverWithBadRecordMac) {
  // A 4 MiB message goes through pipelined sending (writes of 64 KiB and
  // more: record_sender.hpp) and, unless asked otherwise, pipelined
  // receiving (record_receiver.hpp); one bit flipped on the wire fails the
  // receiver's wait with the bad record MAC, not altered data. 64 KiB in:
  // usually a record the serial reader had already read when the receiver
  // took over (its first recv takes up to 256 KiB); 2 MiB in: one the
  // receiver's thread read.
  const auto [flip_at, pipelined_receiving] = GetParam();
  int client_side[2], server_side[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, client_side), 0);
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, server_side), 0);
  std::thread proxy(forward_flipping, client_side[1], server_side[1], flip_at);
  auto client_ctx = tls_context(host_certificate("client-host"));
  auto server_ctx = tls_context(host_certificate("server-host"));
  server_ctx->set_pipelined_receiving(pipelined_receiving);
  {
    Connection client(make_tls_stream(Socket(client_side[0]), *client_ctx, false, "server-host", "server"), "server");
    Connection server(make_tls_stream(Socket(server_side[0]), *server_ctx, true, "client-host", "client"), "client");
    client.wait_ready(Millis(10000));
    server.wait_ready(Millis(10000));
    const auto out = pattern(std::size_t{4} << 20, 9);
    std::vector<std::byte> in(out.size());
    auto receive = server.post_receive(in);
    auto send = client.post_send(out);
    EXPECT_THAT([&] { receive->wait(Millis(20000)); },
                ThrowsMessage<TlsError>(HasSubstr("bad record MAC: tampered or corrupted on the wire")));
  }
  ::shutdown(client_side[1], SHUT_RDWR);
  ::shutdown(server_side[1], SHUT_RDWR);
  proxy.join();
  ::close(client_side[1]);
  ::close(server_side[1]);
}

INSTANTIATE_TEST_SUITE_P(TlsConnection, TamperTest,
                         ::testing::Combine(::testing::Values(std::size_t{64} << 10, std::size_t{2} << 20),
                                            ::testing::Bool()),
                         [](const auto& info) {
                           return "at_" + std::to_string(std::get<0>(info.param) >> 10) + "KiB_" +
                                  (std::get<1>(info.param) ? "pipelined" : "serial");
                         });

TEST(TlsConnection, QueuedRecordsReachThePeerAfterTheSenderIsGone) {
  // A send completes once its records are sealed and queued; a connection
  // closed right after still delivers them (as a closed socket sends what
  // its buffer holds), here through 64 KiB kernel buffers.
  Pair pair = make_pair(PairKind::tls, 64 << 10);
  const auto out = pattern(std::size_t{32} << 20, 3);
  std::vector<std::byte> in(out.size());
  auto receive = pair.right->post_receive(in);
  pair.left->post_send(out)->wait(Millis(20000));
  pair.left.reset();
  receive->wait(Millis(20000));
  EXPECT_TRUE(in == out);
}
