// ringsim's TLS 1.3 record layer (tls_records.hpp, tls_record_stream.hpp):
// records sealed and opened by it are refused when tampered with, replayed,
// reordered or mislabelled; it interoperates with OpenSSL's own record
// layer both ways, including KeyUpdate in both directions and close_notify.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <random>
#include <thread>

#include "common/errors.hpp"
#include "common/hex.hpp"
#include "transport/certificates.hpp"
#include "transport/connection.hpp"
#include "transport/tls_records.hpp"
#include "transport/tls_stream.hpp"
#include "tls_pair.hpp"

using namespace ringsim;

namespace {

std::vector<std::byte> random_bytes(std::size_t size, unsigned seed) {
  std::mt19937 random(seed);
  std::vector<std::byte> bytes(size);
  for (auto& b : bytes) b = static_cast<std::byte>(random());
  return bytes;
}

std::vector<unsigned char> secret(unsigned seed, std::size_t size = 32) {
  std::vector<unsigned char> bytes(size);
  std::mt19937 random(seed);
  for (auto& b : bytes) b = static_cast<unsigned char>(random());
  return bytes;
}

std::vector<unsigned char> seal(RecordProtection& sealer, ContentType type, std::span<const std::byte> content) {
  std::vector<unsigned char> record(content.size() + kRecordOverhead);
  record.resize(sealer.seal(type, content, reinterpret_cast<std::byte*>(record.data())));
  return record;
}

std::vector<std::byte> open(RecordProtection& opener, const std::vector<unsigned char>& record,
                            ContentType expected_type = ContentType::ApplicationData) {
  std::vector<std::byte> out(record.size());
  const auto opened = opener.open(record, out.data(), "test peer");
  EXPECT_EQ(opened.type, expected_type);
  out.resize(opened.length);
  return out;
}

bool refused(RecordProtection& opener, const std::vector<unsigned char>& record, const std::string& why) {
  std::vector<std::byte> out(record.size() + kMaxRecordBody);
  try {
    opener.open(record, out.data(), "test peer");
  } catch (const TlsError& e) {
    EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
    return true;
  }
  return false;
}

const char* kSuites[] = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"};
std::size_t secret_size(const std::string& suite) { return suite == "TLS_AES_256_GCM_SHA384" ? 48 : 32; }

}  // namespace

TEST(TlsRecords, HkdfExpandLabelMatchesRfc8448) {
  // RFC 8448 section 3 (simple 1-RTT handshake): the server's handshake
  // traffic secret and the write key and IV derived from it.
  const auto secret = from_hex("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38");
  EXPECT_EQ(hkdf_expand_label("SHA256", secret, "key", 16), from_hex("3fce516009c21727d0f2e4e86ee403bc"));
  EXPECT_EQ(hkdf_expand_label("SHA256", secret, "iv", 12), from_hex("5d313eb2671276ee13000b30"));
}

TEST(TlsRecords, SealedRecordsOpenInOrderForEverySuite) {
  for (const std::string suite : kSuites) {
    const auto key = secret(1, secret_size(suite));
    RecordProtection sealer(suite, key, ""), opener(suite, key, "");
    for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{15}, std::size_t{16}, std::size_t{4097},
                             kMaxRecordContent}) {
      const auto content = random_bytes(size, static_cast<unsigned>(size));
      const auto record = seal(sealer, ContentType::ApplicationData, content);
      ASSERT_EQ(record.size(), size + kRecordOverhead);
      EXPECT_EQ(record[0], 23);  // every protected record looks like application data outside
      EXPECT_EQ(open(opener, record), content) << suite << " " << size;
    }
    // The inner type survives sealing.
    const std::byte alert[2] = {std::byte{1}, std::byte{0}};
    EXPECT_EQ(open(opener, seal(sealer, ContentType::Alert, alert), ContentType::Alert).size(), 2u);
  }
}

TEST(TlsRecords, TamperedReplayedReorderedAndForeignRecordsAreRefused) {
  const auto key = secret(2);
  const std::string suite = "TLS_AES_128_GCM_SHA256";
  const auto content = random_bytes(1000, 7);
  {
    RecordProtection sealer(suite, key, ""), opener(suite, key, "");
    auto record = seal(sealer, ContentType::ApplicationData, content);
    for (std::size_t at : {std::size_t{3}, std::size_t{5}, std::size_t{500}, record.size() - 1}) {
      RecordProtection fresh(suite, key, "");
      auto flipped = record;
      flipped[at] ^= 0x40;  // the header is authenticated too
      EXPECT_TRUE(refused(fresh, flipped, at == 3 ? "out of range" : "failed authentication")) << "byte " << at;
    }
    EXPECT_EQ(open(opener, record), content);
    EXPECT_TRUE(refused(opener, record, "failed authentication"));  // replayed: the sequence has moved on
  }
  {
    RecordProtection sealer(suite, key, ""), opener(suite, key, "");
    const auto first = seal(sealer, ContentType::ApplicationData, content);
    const auto second = seal(sealer, ContentType::ApplicationData, content);
    EXPECT_TRUE(refused(opener, second, "failed authentication"));  // reordered
  }
  {
    RecordProtection sealer(suite, key, ""), stranger(suite, secret(3), "");
    EXPECT_TRUE(refused(stranger, seal(sealer, ContentType::ApplicationData, content), "failed authentication"));
  }
  {
    // A peer that puts more than 2^14 content bytes in one record (a
    // well-formed, authentic record otherwise) is refused: RFC 8446 5.4.
    RecordProtection opener(suite, key, "");
    EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-128-GCM", nullptr);
    EVP_CIPHER_CTX* context = EVP_CIPHER_CTX_new();
    const auto record_key = hkdf_expand_label("SHA256", key, "key", 16);
    const auto iv = hkdf_expand_label("SHA256", key, "iv", 12);  // sequence 0: the IV is the nonce
    std::vector<unsigned char> inner(kMaxRecordContent + 2, 0x61);
    inner.back() = 23;  // content type after 16385 content bytes
    const std::size_t body = inner.size() + kRecordTagBytes;
    std::vector<unsigned char> record = {23, 3, 3, static_cast<unsigned char>(body >> 8),
                                         static_cast<unsigned char>(body)};
    record.resize(kRecordHeaderBytes + body);
    int n = 0;
    ASSERT_EQ(EVP_EncryptInit_ex2(context, cipher, record_key.data(), iv.data(), nullptr), 1);
    ASSERT_EQ(EVP_EncryptUpdate(context, nullptr, &n, record.data(), kRecordHeaderBytes), 1);
    ASSERT_EQ(EVP_EncryptUpdate(context, record.data() + kRecordHeaderBytes, &n, inner.data(),
                                static_cast<int>(inner.size())),
              1);
    ASSERT_EQ(EVP_EncryptFinal_ex(context, record.data() + kRecordHeaderBytes + n, &n), 1);
    ASSERT_EQ(EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_GET_TAG, kRecordTagBytes,
                                  record.data() + kRecordHeaderBytes + inner.size()),
              1);
    EVP_CIPHER_CTX_free(context);
    EVP_CIPHER_free(cipher);
    EXPECT_TRUE(refused(opener, record, "record overflow"));
  }
  {
    RecordProtection sealer(suite, key, ""), opener(suite, key, "");
    auto record = seal(sealer, ContentType::ApplicationData, content);
    record[0] = 22;  // a plaintext handshake record after the handshake
    EXPECT_TRUE(refused(opener, record, "unexpected record header"));
  }
}

TEST(TlsRecords, KeyUpdateMovesBothSidesToTheNextKey) {
  const std::string suite = "TLS_AES_256_GCM_SHA384";
  const auto key = secret(4, 48);
  RecordProtection sealer(suite, key, ""), opener(suite, key, "");
  const auto content = random_bytes(300, 5);
  EXPECT_EQ(open(opener, seal(sealer, ContentType::ApplicationData, content)), content);
  sealer.update_keys();
  const auto record = seal(sealer, ContentType::ApplicationData, content);
  {
    RecordProtection stale(suite, key, "");
    EXPECT_TRUE(refused(stale, record, "failed authentication"));
  }
  opener.update_keys();
  EXPECT_EQ(sealer.records_under_this_key(), 1u);
  EXPECT_EQ(open(opener, record), content);
}

namespace {

// One side of a socket pair driven by OpenSSL alone (blocking, SSL_read /
// SSL_write), speaking the connection's framing: an 8-byte length, then
// the payload.
class OpenSslPeer {
 public:
  OpenSslPeer(int fd, const TlsContext& context, bool server, const std::string& host) : fd_(fd) {
    // A side that waits for something ours never sends fails the test
    // instead of hanging it.
    const timeval limit{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    ssl_.reset(SSL_new(static_cast<SSL_CTX*>(context.native())));
    SSL_set_fd(ssl_.get(), fd);
    SSL_set1_host(ssl_.get(), host.c_str());
    if (server)
      SSL_set_accept_state(ssl_.get());
    else
      SSL_set_connect_state(ssl_.get());
  }
  ~OpenSslPeer() { ::close(fd_); }
  bool handshake() { return SSL_do_handshake(ssl_.get()) == 1; }
  bool send(const std::vector<std::byte>& payload) {
    const std::uint64_t length = payload.size();
    std::size_t n = 0;
    return SSL_write_ex(ssl_.get(), &length, sizeof length, &n) == 1 &&
           (payload.empty() || SSL_write_ex(ssl_.get(), payload.data(), payload.size(), &n) == 1);
  }
  std::vector<std::byte> receive() {
    std::uint64_t length = 0;
    if (!read_exact(&length, sizeof length)) return {};
    std::vector<std::byte> payload(length);
    if (!read_exact(payload.data(), length)) return {};
    return payload;
  }
  SSL* ssl() { return ssl_.get(); }

 private:
  bool read_exact(void* out, std::size_t size) {
    for (std::size_t done = 0, n = 0; done < size; done += n)
      if (SSL_read_ex(ssl_.get(), static_cast<char*>(out) + done, size - done, &n) != 1) return false;
    return true;
  }
  int fd_;
  SslPtr ssl_;
};

// What a receive on `connection` fails with, as an `E`; "" when it does not
// fail (so an expectation on the text fails then too).
template <class E>
std::string receive_error(Connection& connection) {
  std::vector<std::byte> in(10);
  try {
    connection.post_receive(in)->wait(Millis(10000));
  } catch (const E& e) {
    return e.what();
  }
  return "";
}

struct Interop {
  PemPair ca = make_certificate_authority("records CA", 1);
  PemPair ours_cert = make_host_certificate(ca, "ours", {}, 1), theirs_cert = make_host_certificate(ca, "theirs", {}, 1);
  TlsContext ours{{ca.certificate, ours_cert.certificate, ours_cert.private_key}, "TLS_AES_128_GCM_SHA256", "auto"};
  TlsContext theirs{
      {ca.certificate, theirs_cert.certificate, theirs_cert.private_key}, "TLS_AES_128_GCM_SHA256", "openssl"};
};

}  // namespace

TEST(TlsRecords, InteroperatesWithOpenSslsRecordLayerIncludingKeyUpdates) {
  Interop setup;
  ASSERT_TRUE(setup.ours.own_records());
  ASSERT_FALSE(setup.theirs.own_records());
  setup.ours.set_records_per_key(5);  // many KeyUpdates from our side
  for (const bool ours_is_server : {false, true}) {
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    const auto to_them = random_bytes((1 << 20) + 77, 11), to_us_1 = random_bytes(200001, 12),
               to_us_2 = random_bytes(70000, 13);
    std::vector<std::byte> got_1(to_us_1.size()), got_2(to_us_2.size()), got_3(to_us_1.size());
    std::vector<std::byte> at_them, at_them_after_update;
    bool their_side_ok = false;
    // (A jthread: should our side throw, its connection closes first, which
    // ends their blocking reads, and then this joins.)
    std::jthread them([&] {
      OpenSslPeer peer(fds[1], setup.theirs, !ours_is_server, "ours");
      if (!peer.handshake()) return;
      if (!peer.send(to_us_1)) return;
      at_them = peer.receive();
      // Their KeyUpdate, asking us to update too: we must read on with
      // their next key (and answer with ours, which OpenSSL does not check).
      if (SSL_key_update(peer.ssl(), SSL_KEY_UPDATE_REQUESTED) != 1 || !peer.send(to_us_2)) return;
      at_them_after_update = peer.receive();
      if (!peer.send(to_us_1)) return;
      their_side_ok = true;
    });
    Connection ours(make_tls_stream(Socket(fds[0]), setup.ours, ours_is_server, "theirs", "their side"), "their side");
    auto r1 = ours.post_receive(got_1), r2 = ours.post_receive(got_2), r3 = ours.post_receive(got_3);
    ours.wait_ready(Millis(10000));
    ours.post_send(to_them)->wait(Millis(20000));
    r1->wait(Millis(20000));
    r2->wait(Millis(20000));
    ours.post_send(to_them)->wait(Millis(20000));
    r3->wait(Millis(20000));
    them.join();
    EXPECT_TRUE(their_side_ok);
    EXPECT_TRUE(got_1 == to_us_1);
    EXPECT_TRUE(got_2 == to_us_2);
    EXPECT_TRUE(got_3 == to_us_1);
    EXPECT_TRUE(at_them == to_them);
    EXPECT_TRUE(at_them_after_update == to_them);
    EXPECT_EQ(ours.totals().cipher_suite, "TLS_AES_128_GCM_SHA256");
  }
}

TEST(TlsRecords, CloseNotifyAndAlertsFromThePeerAreClearErrors) {
  Interop setup;
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  std::jthread them([&] {
    OpenSslPeer peer(fds[1], setup.theirs, false, "ours");
    if (peer.handshake()) SSL_shutdown(peer.ssl());  // close_notify
  });
  Connection ours(make_tls_stream(Socket(fds[0]), setup.ours, true, "theirs", "their side"), "their side");
  ours.wait_ready(Millis(10000));
  const std::string error = receive_error<PeerClosedError>(ours);
  EXPECT_NE(error.find("their side closed the TLS connection"), std::string::npos) << "error: '" << error << "'";
  them.join();
}

TEST(TlsRecords, SuitesItDoesNotKnowStayWithOpenSsl) {
  // AES-CCM is not in ringsim's record layer: a context allowing it leaves
  // the records to OpenSSL, says so, and still connects.
  const PemPair ca = make_certificate_authority("ccm CA", 1);
  const PemPair a = make_host_certificate(ca, "a", {}, 1), b = make_host_certificate(ca, "b", {}, 1);
  const TlsContext a_ctx({ca.certificate, a.certificate, a.private_key}, "TLS_AES_128_CCM_SHA256", "auto");
  const TlsContext b_ctx({ca.certificate, b.certificate, b.private_key}, "TLS_AES_128_GCM_SHA256:TLS_AES_128_CCM_SHA256",
                         "auto");
  EXPECT_FALSE(a_ctx.own_records());
  EXPECT_FALSE(b_ctx.own_records());
  EXPECT_EQ(a_ctx.crypto().find("ringsim record layer"), std::string::npos) << a_ctx.crypto();
  const ringsim::testing::TlsPair pair = ringsim::testing::connect_tls_pair(a_ctx, "a", b_ctx, "b");
  pair.client->wait_ready(Millis(10000));
  pair.server->wait_ready(Millis(10000));
  const auto out = random_bytes(100000, 21);
  EXPECT_TRUE(ringsim::testing::send_across(*pair.client, *pair.server, out) == out);
  EXPECT_EQ(pair.server->totals().cipher_suite, "TLS_AES_128_CCM_SHA256");
}

namespace {
// Counts the KeyUpdate messages an OpenSSL-driven side receives.
void count_key_updates(int write_p, int, int content_type, const void* buf, size_t len, SSL*, void* arg) {
  if (!write_p && content_type == SSL3_RT_HANDSHAKE && len >= 1 && static_cast<const unsigned char*>(buf)[0] == 24)
    ++*static_cast<int*>(arg);
}
}  // namespace

TEST(TlsRecords, AnswersAKeyUpdateThePeerAsksFor) {
  // RFC 8446 4.6.3: a KeyUpdate with update_requested must be answered with
  // our own before we send more data. With the default key lifetime ours
  // sends no other KeyUpdate here, so OpenSSL's side must see exactly one.
  Interop setup;
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  const auto to_them = random_bytes(100000, 31), to_us = random_bytes(5000, 32);
  int key_updates_seen = -1;
  std::vector<std::byte> at_them;
  std::jthread them([&] {
    OpenSslPeer peer(fds[1], setup.theirs, false, "ours");
    int seen = 0;
    SSL_set_msg_callback(peer.ssl(), &count_key_updates);
    SSL_set_msg_callback_arg(peer.ssl(), &seen);
    if (!peer.handshake() || SSL_key_update(peer.ssl(), SSL_KEY_UPDATE_REQUESTED) != 1 || !peer.send(to_us)) return;
    at_them = peer.receive();
    key_updates_seen = seen;
  });
  Connection ours(make_tls_stream(Socket(fds[0]), setup.ours, true, "theirs", "their side"), "their side");
  std::vector<std::byte> got(to_us.size());
  ours.post_receive(got)->wait(Millis(10000));
  ours.post_send(to_them)->wait(Millis(10000));
  them.join();
  EXPECT_TRUE(got == to_us);
  EXPECT_TRUE(at_them == to_them);
  EXPECT_EQ(key_updates_seen, 1);
}

TEST(TlsRecords, ARefusedRecordIsAnsweredWithAFatalAlert) {
  // RFC 8446 6.2: the peer learns why (else it sees only a closed socket).
  // Their side writes a forged application-data record straight to the
  // socket; ours refuses it, and OpenSSL on their side then reads our
  // bad_record_mac alert.
  Interop setup;
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  std::string their_error;
  std::jthread them([&] {
    OpenSslPeer peer(fds[1], setup.theirs, false, "ours");
    if (!peer.handshake()) return;
    std::vector<unsigned char> forged(kRecordHeaderBytes + 40, 0x5a);
    forged[0] = 23, forged[1] = 3, forged[2] = 3, forged[3] = 0, forged[4] = 40;
    if (::write(fds[1], forged.data(), forged.size()) != static_cast<ssize_t>(forged.size())) return;
    char byte = 0;
    std::size_t n = 0;
    if (SSL_read_ex(peer.ssl(), &byte, 1, &n) != 1) their_error = openssl_errors();
  });
  Connection ours(make_tls_stream(Socket(fds[0]), setup.ours, true, "theirs", "their side"), "their side");
  const std::string error = receive_error<TlsError>(ours);
  EXPECT_NE(error.find("failed authentication"), std::string::npos) << "error: '" << error << "'";
  them.join();
  EXPECT_NE(their_error.find("bad record mac"), std::string::npos) << "their side: '" << their_error << "'";
}
