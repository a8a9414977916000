// TLS streams between two connections over a local socket pair, without
// MPI: each refusal named on both sides, plaintext peers, cipher suites,
// pinned ephemeral peers, kTLS where offered, the record layer's choice and
// key updates.
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

// A pinned TLS pair between contexts a and b, both handshakes done, that has
// carried 1 MiB + 3 bytes each way unchanged (checked here); returned for its
// totals.
TlsPair pinned_pair_after_exchange(const TlsContext& a_ctx, const TlsContext& b_ctx) {
  TlsPair pair = connect_tls_pair(a_ctx, "a", b_ctx, "b", a_ctx.fingerprint(), b_ctx.fingerprint());
  pair.client->wait_ready(Millis(10000));
  pair.server->wait_ready(Millis(10000));
  const std::vector<std::byte> out = pattern((1 << 20) + 3, 5);
  EXPECT_TRUE(send_across(*pair.client, *pair.server, out) == out);
  EXPECT_TRUE(send_across(*pair.server, *pair.client, out) == out);
  return pair;
}

}  // namespace

// Every refusal names its cause on both sides: the refusing side ("refused
// peer X: ...") from its certificate check, the refused side ("peer Y
// refused this rank's certificate: ...") from the alert and its own
// certificate. Each case runs with the refused side as client and as server.
struct Refusal {
  std::string name;
  PemPair (*make_certificate)();            // the refused side's certificate (all trust the job CA)
  std::string refusing_says, refused_says;  // expected in the two messages
};

// "YYYY-MM-DD" of now + `seconds` (UTC), as the messages print dates.
std::string date_in(long seconds) {
  const std::time_t when = std::time(nullptr) + seconds;
  std::tm tm{};
  ::gmtime_r(&when, &tm);
  char text[16];
  std::strftime(text, sizeof text, "%Y-%m-%d", &tm);
  return text;
}

// (Names the case in CTest's listing instead of the struct's bytes.)
void PrintTo(const Refusal& refusal, std::ostream* out) { *out << refusal.name; }

class RefusalTest : public ::testing::TestWithParam<std::tuple<Refusal, bool>> {};

std::vector<Refusal> refusals() {
  const long day = 24L * 3600;
  return {
      {"foreign_ca", [] { return host_certificate("rogue", CertificateKind::foreign); },
       "refused peer rogue: its certificate is not signed by the job CA (issued by 'other CA')",
       "peer good refused this rank's certificate: not signed by the job CA"},
      {"wrong_host", [] { return host_certificate("elsewhere"); },
       "refused peer rogue: its certificate is for host elsewhere, expected rogue",
       "peer good refused this rank's certificate: certificate is for host elsewhere, expected rogue"},
      {"expired", [] { return host_certificate("rogue", CertificateKind::expired); },
       "refused peer rogue: its certificate expired on " + date_in(-expired_days_ago * day),
       "peer good refused this rank's certificate: expired on " + date_in(-expired_days_ago * day)},
      // (Less the 5 minutes of allowed clock skew.)
      {"not_yet_valid", [] { return host_certificate("rogue", CertificateKind::not_yet_valid); },
       "refused peer rogue: its certificate is not valid before " + date_in(valid_in_days * day - 300),
       "peer good refused this rank's certificate: not valid before " + date_in(valid_in_days * day - 300)},
  };
}

TEST_P(RefusalTest, BothSidesNameTheCause) {
  const auto& [refusal, rogue_is_server] = GetParam();
  const auto good_ctx = tls_context(host_certificate("good"), "auto", "good");
  const auto rogue_ctx = tls_context(refusal.make_certificate(), "auto", "rogue");
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  Connection refusing(make_tls_stream(Socket(fds[0]), *good_ctx, !rogue_is_server, "rogue", "peer rogue"),
                      "peer rogue");
  Connection refused(make_tls_stream(Socket(fds[1]), *rogue_ctx, rogue_is_server, "good", "peer good"), "peer good");
  EXPECT_THAT(handshake(refusing), ThrowsMessage<TlsError>(HasSubstr(refusal.refusing_says))) << "refusing side";
  EXPECT_THAT(handshake(refused), ThrowsMessage<TlsError>(HasSubstr(refusal.refused_says))) << "refused side";
}

INSTANTIATE_TEST_SUITE_P(TlsRefusals, RefusalTest,
                         ::testing::Combine(::testing::ValuesIn(refusals()), ::testing::Bool()), [](const auto& info) {
                           return std::get<0>(info.param).name +
                                  (std::get<1>(info.param) ? "_refused_server" : "_refused_client");
                         });

TEST(TlsConnection, PlaintextPeerIsRefusedAndToldSo) {
  const auto ctx = tls_context(host_certificate("good"));
  {
    // A plaintext client (a rank on --transport tcp) against a TLS server:
    // the server refuses it, and answers with a clear-text alert that the
    // plain side reads as the reason.
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    Connection tls(make_tls_stream(Socket(fds[0]), *ctx, true, "plain", "peer plain"), "peer plain");
    Connection plain(make_plain_stream(Socket(fds[1]), "peer good"), "peer good");
    std::vector<std::byte> request(8, std::byte{1}), in(16);
    auto receive = plain.post_receive(in);
    // (The send itself may fail with a broken pipe: the server refuses on
    // the first byte and closes.)
    auto send = plain.post_send(request);
    EXPECT_THAT(handshake(tls), ThrowsMessage<TlsError>(HasSubstr("refused peer plain: peer spoke plaintext")));
    EXPECT_THAT([&] { receive->wait(Millis(10000)); },
                ThrowsMessage<IoError>(HasSubstr("peer good refused this rank's connection: peer spoke plaintext")))
        << "plain side";
  }
  {
    // A TLS client against a plaintext acceptor, which answers the
    // ClientHello with ringsim's plain-TCP marker and closes (as
    // connect_socket_mesh does).
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    Socket acceptor(fds[1]);
    Connection tls(make_tls_stream(Socket(fds[0]), *ctx, false, "plain", "peer plain"), "peer plain");
    unsigned char first = 0;
    ASSERT_EQ(::recv(acceptor.fd(), &first, 1, 0), 1);
    EXPECT_EQ(first, 0x16) << "a ClientHello starts with a handshake record";
    ASSERT_EQ(::send(acceptor.fd(), "PLN1", 4, MSG_NOSIGNAL), 4);
    ::shutdown(acceptor.fd(), SHUT_RDWR);
    EXPECT_THAT(handshake(tls), ThrowsMessage<TlsError>(HasSubstr("refused peer plain: peer spoke plaintext")));
  }
}

TEST(TlsConnection, UnknownCipherSuiteIsAClearError) {
  const PemPair a = host_certificate("a");
  EXPECT_THAT([&] { TlsContext ctx(credentials(a), "TLS_NOT_A_SUITE"); },
              ThrowsMessage<TlsError>(HasSubstr("--tls-ciphersuites")));
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
    const std::string role = impostor_is_server ? "impostor as server" : "impostor as client";
    EXPECT_THAT(handshake(honest),
                ThrowsMessage<TlsError>(HasSubstr(
                    "refused peer b: its certificate is not the one that rank published (fingerprint mismatch)")))
        << role << ", honest side";
    // The impostor learns of the refusal during set-up too (the server
    // confirms a client only after checking its certificate).
    EXPECT_THAT(handshake(impostor),
                ThrowsMessage<TlsError>(
                    HasSubstr("peer a refused this rank's certificate: not the certificate this rank published")))
        << role << ", impostor";
  }
}

// The probe agrees with what the kernel lists once asked (kernel_offers_tls
// loads the tls module where it can, so it is asked first).
TEST(TlsConnection, KernelTlsProbeAgreesWithTheKernel) {
  const bool offered = kernel_offers_tls();
  std::ifstream ulps("/proc/sys/net/ipv4/tcp_available_ulp");
  if (!ulps) GTEST_SKIP() << "/proc/sys/net/ipv4/tcp_available_ulp is not readable here: nothing to compare with";
  std::string listed((std::istreambuf_iterator<char>(ulps)), std::istreambuf_iterator<char>());
  EXPECT_EQ(offered, listed.find("tls") != std::string::npos) << "tcp_available_ulp: " << listed;
}

// Where the kernel offers TLS, "auto" hands the records to it: the kernel
// seals what this side sends. (Receive offload also needs the cipher's
// receive path, which older kernels lack, so only send is required.)
TEST(TlsConnection, KernelTlsCarriesRecordsWhereOffered) {
  if (!kernel_offers_tls()) GTEST_SKIP() << "this kernel offers no tls ULP (no tls module): nothing to offload to";
  TlsContext a_ctx(new_ephemeral_identity(), "TLS_AES_128_GCM_SHA256", "auto");
  TlsContext b_ctx(new_ephemeral_identity(), "TLS_AES_128_GCM_SHA256", "auto");
  ASSERT_TRUE(a_ctx.tries_kernel_tls());
  const TlsPair pair = pinned_pair_after_exchange(a_ctx, b_ctx);
  EXPECT_TRUE(pair.client->totals().kernel_tls_send)
      << describe_tls_records(pair.client->totals().kernel_tls_send, pair.client->totals().kernel_tls_receive);
}

// Whatever the kernel offers, data flows, and where kTLS is not offered or
// OpenSSL's records are chosen, no direction claims the kernel.
TEST(TlsConnection, OpenSslRecordsWhereKernelTlsIsNotUsed) {
  const bool offered = kernel_offers_tls();
  // "auto, forced": OpenSSL is asked for kTLS (SSL_OP_ENABLE_KTLS, its
  // socket BIO) even if the probe said no; where the kernel refuses, OpenSSL
  // falls back to its own records by itself.
  for (const std::string records : {"auto", "openssl", "auto, forced"}) {
    const std::string choice = records == "openssl" ? "openssl" : "auto";
    TlsContext a_ctx(new_ephemeral_identity(), "TLS_AES_128_GCM_SHA256", choice);
    TlsContext b_ctx(new_ephemeral_identity(), "TLS_AES_128_GCM_SHA256", choice);
    EXPECT_EQ(a_ctx.tries_kernel_tls(), choice == "auto" && offered);
    if (records == "auto, forced") {
      a_ctx.try_kernel_tls_anyway();
      b_ctx.try_kernel_tls_anyway();
    }
    const TlsPair pair = pinned_pair_after_exchange(a_ctx, b_ctx);
    const auto totals = pair.client->totals();
    if (!offered || records == "openssl") {
      // The fallback: no kernel TLS in either direction, OpenSSL's records.
      EXPECT_FALSE(totals.kernel_tls_send) << records;
      EXPECT_FALSE(totals.kernel_tls_receive) << records;
    }
    std::cout << records << ": kernel offers tls: " << offered << ", kTLS send " << totals.kernel_tls_send
              << ", receive " << totals.kernel_tls_receive << "\n";
  }
  EXPECT_EQ(describe_tls_records(false, false).find("OpenSSL 3"), 0u) << describe_tls_records(false, false);
  EXPECT_NE(describe_tls_records(true, false).find("kernel TLS: send"), std::string::npos);
}

TEST(TlsConnection, RecordLayerChoiceIsCheckedByName) {
  EXPECT_THAT([] { TlsContext ctx(new_ephemeral_identity(), "TLS_AES_128_GCM_SHA256", "ipsec-mb"); },
              ThrowsMessage<InputError>(HasSubstr("--tls-crypto must be auto")));
}

TEST(TlsConnection, KeysChangeEverySoManyRecords) {
  // A KeyUpdate every 4 records (2^23 in a job): data keeps flowing both
  // ways, so each side follows the other's new keys.
  TlsContext a_ctx(new_ephemeral_identity(), "TLS_AES_128_GCM_SHA256");
  TlsContext b_ctx(new_ephemeral_identity(), "TLS_AES_128_GCM_SHA256");
  a_ctx.set_records_per_key(4);
  b_ctx.set_records_per_key(4);
  const ringsim::testing::TlsPair pair =
      ringsim::testing::connect_tls_pair(a_ctx, "a", b_ctx, "b", a_ctx.fingerprint(), b_ctx.fingerprint());
  pair.client->wait_ready(Millis(10000));
  pair.server->wait_ready(Millis(10000));
  for (unsigned round = 0; round < 3; ++round) {
    const std::vector<std::byte> out = pattern((1 << 20) + round, round);
    EXPECT_TRUE(ringsim::testing::send_across(*pair.client, *pair.server, out) == out);
    EXPECT_TRUE(ringsim::testing::send_across(*pair.server, *pair.client, out) == out);
  }
  // 3 MiB each way: the key changes before a write once 4 records are
  // sealed with it, and a write seals up to one 256 KiB chunk (16 records),
  // so at least once per chunk: 12 times.
  EXPECT_GE(pair.client->totals().key_updates, 12u);
  EXPECT_GE(pair.server->totals().key_updates, 12u);
}
