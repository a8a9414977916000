// The ipsec-mb AES-GCM provider against OpenSSL's own AES-GCM: same
// ciphertext and tag for every length, key size and AAD size (fed whole or
// in ragged pieces), forgeries refused, nonces not reusable, and a TLS
// connection between a rank using it and one using OpenSSL's works.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <sys/socket.h>

#include <random>

#include "common/errors.hpp"
#include "transport/certificates.hpp"
#include "transport/connection.hpp"
#include "transport/fast_gcm.hpp"
#include "transport/tls_stream.hpp"
#include "tls_pair.hpp"

using namespace ringsim;

namespace {

using Bytes = std::vector<unsigned char>;

bool fast_gcm_available() { return !tls_property_query("auto").empty(); }

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
  void operator()(EVP_CIPHER* c) const { EVP_CIPHER_free(c); }
};
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;
using CipherPtr = std::unique_ptr<EVP_CIPHER, CipherCtxFree>;

CipherPtr fetch(std::size_t key_bytes, const char* provider) {
  const std::string properties = std::string("provider=") + provider;
  CipherPtr cipher(EVP_CIPHER_fetch(nullptr, key_bytes == 16 ? "AES-128-GCM" : "AES-256-GCM", properties.c_str()));
  if (!cipher) throw std::runtime_error(std::string("no AES-GCM from ") + provider);
  return cipher;
}

Bytes random_bytes(std::mt19937& random, std::size_t size) {
  Bytes bytes(size);
  for (auto& b : bytes) b = static_cast<unsigned char>(random());
  return bytes;
}

struct Sealed {
  Bytes ciphertext;
  Bytes tag;
};

// Encrypts in pieces of at most `piece` bytes (0: all at once), as EVP does
// with streaming callers.
Sealed seal(const EVP_CIPHER* cipher, const Bytes& key, const Bytes& iv, const Bytes& aad, const Bytes& plain,
            std::size_t piece) {
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  int n = 0;
  EXPECT_EQ(EVP_EncryptInit_ex2(ctx.get(), cipher, key.data(), iv.data(), nullptr), 1);
  if (!aad.empty()) {
    EXPECT_EQ(EVP_EncryptUpdate(ctx.get(), nullptr, &n, aad.data(), static_cast<int>(aad.size())), 1);
  }
  Sealed out{Bytes(plain.size()), Bytes(16)};
  std::size_t done = 0;
  while (done < plain.size()) {
    const std::size_t step = piece == 0 ? plain.size() - done : std::min(piece, plain.size() - done);
    EXPECT_EQ(
        EVP_EncryptUpdate(ctx.get(), out.ciphertext.data() + done, &n, plain.data() + done, static_cast<int>(step)), 1);
    EXPECT_EQ(static_cast<std::size_t>(n), step);
    done += step;
  }
  unsigned char tail[16];
  EXPECT_EQ(EVP_EncryptFinal_ex(ctx.get(), tail, &n), 1);
  EXPECT_EQ(n, 0);
  EXPECT_EQ(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, 16, out.tag.data()), 1);
  return out;
}

// Decrypts the way OpenSSL's TLS 1.3 record layer does (tag set first);
// returns whether the tag verified, and the plaintext in `plain`.
bool open_sealed(const EVP_CIPHER* cipher, const Bytes& key, const Bytes& iv, const Bytes& aad, const Sealed& sealed,
                 Bytes& plain) {
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  int n = 0;
  EXPECT_EQ(EVP_DecryptInit_ex2(ctx.get(), cipher, key.data(), iv.data(), nullptr), 1);
  EXPECT_EQ(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, 16, const_cast<unsigned char*>(sealed.tag.data())),
            1);
  if (!aad.empty()) {
    EXPECT_EQ(EVP_DecryptUpdate(ctx.get(), nullptr, &n, aad.data(), static_cast<int>(aad.size())), 1);
  }
  plain.assign(sealed.ciphertext.size(), 0);
  if (!sealed.ciphertext.empty()) {
    EXPECT_EQ(EVP_DecryptUpdate(ctx.get(), plain.data(), &n, sealed.ciphertext.data(),
                                static_cast<int>(sealed.ciphertext.size())),
              1);
  }
  unsigned char tail[16];
  return EVP_DecryptFinal_ex(ctx.get(), tail, &n) == 1;
}

class FastGcm : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fast_gcm_available())
      GTEST_SKIP() << "ipsec-mb AES-GCM not in use here (not built in, or no VAES on this CPU): "
                   << tls_crypto_description("auto");
  }
};

}  // namespace

TEST_F(FastGcm, SameCiphertextAndTagAsOpenSsl) {
  std::mt19937 random(42);
  int cases = 0;
  for (std::size_t key_bytes : {16, 32}) {
    const CipherPtr ours = fetch(key_bytes, kFastGcmProvider), reference = fetch(key_bytes, "default");
    for (std::size_t length : {0, 1, 15, 16, 17, 63, 64, 65, 255, 256, 4095, 4096, 16383, 16384, 16401, 70001}) {
      for (std::size_t aad_length : {0, 5, 13, 64}) {
        const Bytes key = random_bytes(random, key_bytes), iv = random_bytes(random, 12);
        const Bytes aad = random_bytes(random, aad_length), plain = random_bytes(random, length);
        const Sealed expected = seal(reference.get(), key, iv, aad, plain, 0);
        for (std::size_t piece : {std::size_t{0}, std::size_t{1} + random() % 97, std::size_t{4096}}) {
          const Sealed got = seal(ours.get(), key, iv, aad, plain, piece);
          ASSERT_EQ(got.ciphertext, expected.ciphertext)
              << key_bytes << "-byte key, " << length << " bytes, aad " << aad_length << ", pieces of " << piece;
          ASSERT_EQ(got.tag, expected.tag) << key_bytes << "-byte key, " << length << " bytes, aad " << aad_length;
        }
        Bytes opened;
        ASSERT_TRUE(open_sealed(ours.get(), key, iv, aad, expected, opened)) << length << " bytes";
        EXPECT_EQ(opened, plain);
        ++cases;
      }
    }
  }
  EXPECT_EQ(cases, 2 * 16 * 4);
}

TEST_F(FastGcm, ForgeriesAreRefused) {
  std::mt19937 random(7);
  const CipherPtr ours = fetch(16, kFastGcmProvider);
  const Bytes key = random_bytes(random, 16), iv = random_bytes(random, 12), aad = random_bytes(random, 5);
  const Bytes plain = random_bytes(random, 16384);
  const Sealed sealed = seal(ours.get(), key, iv, aad, plain, 0);
  Bytes opened;
  ASSERT_TRUE(open_sealed(ours.get(), key, iv, aad, sealed, opened));

  Sealed flipped_payload = sealed;
  flipped_payload.ciphertext[12345] ^= 0x01;
  EXPECT_FALSE(open_sealed(ours.get(), key, iv, aad, flipped_payload, opened));
  Sealed flipped_tag = sealed;
  flipped_tag.tag[15] ^= 0x80;
  EXPECT_FALSE(open_sealed(ours.get(), key, iv, aad, flipped_tag, opened));
  Bytes other_aad = aad;
  other_aad[0] ^= 0x01;  // e.g. a record header changed on the wire
  EXPECT_FALSE(open_sealed(ours.get(), key, iv, other_aad, sealed, opened));
  Bytes other_iv = iv;
  other_iv[11] ^= 0x01;  // a replayed record under the next sequence number
  EXPECT_FALSE(open_sealed(ours.get(), key, other_iv, aad, sealed, opened));
}

TEST_F(FastGcm, DecryptWithoutATagFailsAndANonceIsUsedOnce) {
  const CipherPtr ours = fetch(16, kFastGcmProvider);
  const Bytes key(16, 1), iv(12, 2), plain(100, 3);
  Bytes out(100);
  int n = 0;
  CtxPtr decrypt(EVP_CIPHER_CTX_new());
  ASSERT_EQ(EVP_DecryptInit_ex2(decrypt.get(), ours.get(), key.data(), iv.data(), nullptr), 1);
  ASSERT_EQ(EVP_DecryptUpdate(decrypt.get(), out.data(), &n, plain.data(), 100), 1);
  EXPECT_NE(EVP_DecryptFinal_ex(decrypt.get(), out.data(), &n), 1) << "no expected tag was given";

  CtxPtr encrypt(EVP_CIPHER_CTX_new());
  ASSERT_EQ(EVP_EncryptInit_ex2(encrypt.get(), ours.get(), key.data(), iv.data(), nullptr), 1);
  ASSERT_EQ(EVP_EncryptUpdate(encrypt.get(), out.data(), &n, plain.data(), 100), 1);
  ASSERT_EQ(EVP_EncryptFinal_ex(encrypt.get(), out.data(), &n), 1);
  // Encrypting again without a new nonce would reuse the keystream.
  EXPECT_NE(EVP_EncryptUpdate(encrypt.get(), out.data(), &n, plain.data(), 100), 1);
  ASSERT_EQ(EVP_EncryptInit_ex2(encrypt.get(), nullptr, nullptr, iv.data(), nullptr), 1);
  EXPECT_EQ(EVP_EncryptUpdate(encrypt.get(), out.data(), &n, plain.data(), 100), 1);
  // Only 96-bit nonces are supported; others are refused, not truncated.
  EXPECT_NE(EVP_CIPHER_CTX_ctrl(encrypt.get(), EVP_CTRL_AEAD_SET_IVLEN, 16, nullptr), 1);
}

TEST_F(FastGcm, TlsBetweenIpsecMbAndOpenSslPeers) {
  // The records are standard TLS 1.3: a rank sealing with ipsec-mb talks to
  // one sealing with OpenSSL, both ways, across many records.
  const PemPair ca = make_certificate_authority("interop CA", 1);
  const PemPair left = make_host_certificate(ca, "left", {}, 1), right = make_host_certificate(ca, "right", {}, 1);
  const TlsContext fast({ca.certificate, left.certificate, left.private_key}, "TLS_AES_128_GCM_SHA256", "auto");
  const TlsContext plain_openssl({ca.certificate, right.certificate, right.private_key}, "TLS_AES_128_GCM_SHA256",
                                 "openssl");
  EXPECT_NE(fast.crypto().find("ipsec-mb"), std::string::npos) << fast.crypto();
  EXPECT_NE(plain_openssl.crypto().find("OpenSSL"), std::string::npos) << plain_openssl.crypto();
  const ringsim::testing::TlsPair pair = ringsim::testing::connect_tls_pair(plain_openssl, "right", fast, "left");
  Connection &a = *pair.client, &b = *pair.server;
  a.wait_ready(Millis(10000));
  b.wait_ready(Millis(10000));
  std::mt19937 random(3);
  for (std::size_t size : {std::size_t{1}, std::size_t{(3 << 20) + 7}}) {
    std::vector<std::byte> to_b(size), to_a(size), at_b(size), at_a(size);
    for (auto& x : to_b) x = static_cast<std::byte>(random());
    for (auto& x : to_a) x = static_cast<std::byte>(random());
    auto rb = b.post_receive(at_b), ra = a.post_receive(at_a);
    auto sa = a.post_send(to_b), sb = b.post_send(to_a);
    for (auto* r : {&sa, &sb, &ra, &rb}) (*r)->wait(Millis(60000));
    EXPECT_TRUE(at_b == to_b) << size;
    EXPECT_TRUE(at_a == to_a) << size;
  }
}

TEST(TlsCrypto, UnknownChoiceIsRefused) {
  EXPECT_THROW(check_tls_crypto_choice("fastest"), InputError);
  EXPECT_EQ(tls_property_query("openssl"), "");
}
