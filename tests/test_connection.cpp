// Connections over a local socket pair, plain and TLS, without MPI: message
// sizes that cross every chunk boundary, tiny kernel buffers (many partial
// reads and writes), signals interrupting system calls, length mismatches,
// a peer that goes away, and timeouts.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <numeric>
#include <thread>

#include "common/errors.hpp"
#include "transport/certificates.hpp"
#include "transport/connection.hpp"
#include "transport/tls_stream.hpp"
#include "tls_pair.hpp"

using namespace ringsim;

namespace {

struct Pair {
  std::unique_ptr<Connection> left, right;
};

const PemPair& test_ca() {
  static const PemPair ca = make_certificate_authority("test CA", 1);
  return ca;
}

Pair make_pair(bool tls, int buffer_bytes = 0) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) throw std::runtime_error("socketpair");
  if (buffer_bytes > 0)
    for (int fd : fds) {
      ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer_bytes, sizeof buffer_bytes);
      ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof buffer_bytes);
    }
  Socket a(fds[0]), b(fds[1]);
  Pair pair;
  if (!tls) {
    pair.left = std::make_unique<Connection>(make_plain_stream(std::move(a), "left"), "left peer");
    pair.right = std::make_unique<Connection>(make_plain_stream(std::move(b), "right"), "right peer");
  } else {
    const auto left_cert = make_host_certificate(test_ca(), "left-host", {}, 1);
    const auto right_cert = make_host_certificate(test_ca(), "right-host", {}, 1);
    static std::unique_ptr<TlsContext> left_ctx, right_ctx;
    left_ctx = std::make_unique<TlsContext>(
        TlsCredentials{test_ca().certificate, left_cert.certificate, left_cert.private_key}, "TLS_AES_128_GCM_SHA256");
    right_ctx = std::make_unique<TlsContext>(
        TlsCredentials{test_ca().certificate, right_cert.certificate, right_cert.private_key},
        "TLS_AES_128_GCM_SHA256");
    pair.left = std::make_unique<Connection>(make_tls_stream(std::move(a), *left_ctx, false, "right-host", "right"),
                                             "right peer");
    pair.right =
        std::make_unique<Connection>(make_tls_stream(std::move(b), *right_ctx, true, "left-host", "left"), "left peer");
  }
  pair.left->wait_ready(Millis(10000));
  pair.right->wait_ready(Millis(10000));
  return pair;
}

std::vector<std::byte> pattern(std::size_t size, unsigned seed) {
  std::vector<std::byte> data(size);
  std::uint32_t x = seed * 2654435761u + 1;
  for (auto& b : data) {
    x = x * 1664525u + 1013904223u;
    b = static_cast<std::byte>(x >> 24);
  }
  return data;
}

void exchange(Pair& pair, std::size_t size) {
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

// What a refused TLS handshake reports; "" when the handshake succeeded
// (so an expectation on the text fails then too).
std::string handshake_error(Connection& connection) {
  try {
    connection.wait_ready(Millis(10000));
  } catch (const TlsError& e) {
    return e.what();
  }
  return "";
}

class ConnectionTest : public ::testing::TestWithParam<bool> {};

}  // namespace

TEST_P(ConnectionTest, SizesAcrossChunkBoundaries) {
  Pair pair = make_pair(GetParam());
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{(1 << 20) + 1}, std::size_t{256} << 20})
    exchange(pair, size);
  EXPECT_EQ(pair.left->totals().bytes_sent, 1u + (1 << 20) + 1 + (std::size_t{256} << 20));
  if (GetParam()) {
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
  try {
    r->wait(Millis(10000));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("closed"), std::string::npos) << e.what();
  }
}

TEST_P(ConnectionTest, SilentPeerTimesOut) {
  Pair pair = make_pair(GetParam());
  std::vector<std::byte> in(10);
  auto r = pair.right->post_receive(in);
  EXPECT_THROW(r->wait(Millis(200)), TimeoutError);
}

INSTANTIATE_TEST_SUITE_P(PlainAndTls, ConnectionTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "tls" : "tcp"; });

TEST(TlsConnection, CertificateFromAnotherCaIsRefused) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  const auto other_ca = make_certificate_authority("other CA", 1);
  const auto good = make_host_certificate(test_ca(), "good", {}, 1);
  const auto rogue = make_host_certificate(other_ca, "rogue", {}, 1);
  TlsContext good_ctx({test_ca().certificate, good.certificate, good.private_key}, "TLS_AES_128_GCM_SHA256");
  TlsContext rogue_ctx({other_ca.certificate, rogue.certificate, rogue.private_key}, "TLS_AES_128_GCM_SHA256");
  Connection server(make_tls_stream(Socket(fds[0]), good_ctx, true, "rogue", "rogue peer"), "rogue peer");
  Connection client(make_tls_stream(Socket(fds[1]), rogue_ctx, false, "good", "good peer"), "good peer");
  // The rogue side cannot verify the server (its chain ends in a CA it does
  // not trust) and says so;
  // the server hears the refusal as an alert. Neither gets a connection.
  const std::string error = handshake_error(client);
  EXPECT_NE(error.find("certificate verify failed"), std::string::npos) << "handshake error: '" << error << "'";
  EXPECT_THROW(server.wait_ready(Millis(10000)), TlsError);
}

TEST(TlsConnection, WrongHostNameIsRefused) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  const auto a = make_host_certificate(test_ca(), "a", {}, 1);
  const auto b = make_host_certificate(test_ca(), "b", {}, 1);
  TlsContext a_ctx({test_ca().certificate, a.certificate, a.private_key}, "TLS_AES_128_GCM_SHA256");
  TlsContext b_ctx({test_ca().certificate, b.certificate, b.private_key}, "TLS_AES_128_GCM_SHA256");
  // The server expects the client to be host "c", but it presents "b".
  Connection server(make_tls_stream(Socket(fds[0]), a_ctx, true, "c", "peer c"), "peer c");
  Connection client(make_tls_stream(Socket(fds[1]), b_ctx, false, "a", "peer a"), "peer a");
  const std::string error = handshake_error(server);
  EXPECT_NE(error.find("hostname mismatch"), std::string::npos) << "handshake error: '" << error << "'";
}

TEST(TlsConnection, UnknownCipherSuiteIsAClearError) {
  const auto a = make_host_certificate(test_ca(), "a", {}, 1);
  try {
    TlsContext ctx({test_ca().certificate, a.certificate, a.private_key}, "TLS_NOT_A_SUITE");
    FAIL();
  } catch (const TlsError& e) {
    EXPECT_NE(std::string(e.what()).find("--tls-ciphersuites"), std::string::npos);
  }
}

TEST(TlsConnection, EphemeralPeersArePinnedByFingerprint) {
  // --tls-ephemeral: self-signed certificates, each side accepting exactly
  // the fingerprint the other published; an impostor with a certificate of
  // its own (same name, fresh key) is refused on both sides.
  const TlsContext a_ctx(new_ephemeral_identity(), "TLS_AES_128_GCM_SHA256");
  const TlsContext b_ctx(new_ephemeral_identity(), "TLS_AES_128_GCM_SHA256");
  const TlsContext impostor_ctx(new_ephemeral_identity(), "TLS_AES_128_GCM_SHA256");
  ASSERT_TRUE(a_ctx.pins_peers());
  ASSERT_EQ(a_ctx.fingerprint().size(), 64u);
  ASSERT_NE(a_ctx.fingerprint(), b_ctx.fingerprint());
  {
    const ringsim::testing::TlsPair pair =
        ringsim::testing::connect_tls_pair(a_ctx, "a", b_ctx, "b", a_ctx.fingerprint(), b_ctx.fingerprint());
    pair.client->wait_ready(Millis(10000));
    pair.server->wait_ready(Millis(10000));
    const std::vector<std::byte> out = pattern(100000, 9);
    EXPECT_TRUE(ringsim::testing::send_across(*pair.client, *pair.server, out) == out);
  }
  for (const bool impostor_is_server : {false, true}) {
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    // The honest side expects b's fingerprint; the impostor shows its own.
    Connection honest(make_tls_stream(Socket(fds[0]), a_ctx, !impostor_is_server, "b", "peer b", b_ctx.fingerprint()),
                      "peer b");
    Connection impostor(
        make_tls_stream(Socket(fds[1]), impostor_ctx, impostor_is_server, "a", "peer a", a_ctx.fingerprint()),
        "peer a");
    const std::string error = handshake_error(honest);
    EXPECT_NE(error.find("certificate rejected"), std::string::npos)
        << "impostor as " << (impostor_is_server ? "server" : "client") << ", handshake error: '" << error << "'";
    // A TLS 1.3 client finishes its side before the server has checked its
    // certificate, so an impostor client learns of the refusal on its first
    // read (the alert); either way it never gets to exchange data.
    std::vector<std::byte> in(16);
    EXPECT_THROW(
        {
          impostor.wait_ready(Millis(10000));
          impostor.post_receive(in)->wait(Millis(10000));
        },
        Error);
  }
}
