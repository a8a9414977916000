#include "transport/tls_records.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <cstring>

#include "common/clock.hpp"
#include "common/errors.hpp"
#include "transport/fast_gcm.hpp"
#include "transport/openssl_util.hpp"

namespace ringsim {

namespace {

struct SuiteParameters {
  const char* suite;
  const char* cipher;
  std::size_t key_bytes;
  const char* digest;
};

// The TLS 1.3 suites OpenSSL enables by default; all three have 12-byte
// IVs and 16-byte tags.
constexpr SuiteParameters kSuites[] = {
    {"TLS_AES_128_GCM_SHA256", "AES-128-GCM", 16, "SHA256"},
    {"TLS_AES_256_GCM_SHA384", "AES-256-GCM", 32, "SHA384"},
    {"TLS_CHACHA20_POLY1305_SHA256", "ChaCha20-Poly1305", 32, "SHA256"},
};
constexpr std::size_t kIvBytes = 12;

const SuiteParameters* find_suite(const std::string& suite) {
  for (const auto& parameters : kSuites)
    if (suite == parameters.suite) return &parameters;
  return nullptr;
}

EVP_CIPHER_CTX* as_context(void* p) { return static_cast<EVP_CIPHER_CTX*>(p); }

}  // namespace

std::vector<unsigned char> hkdf_expand_label(const std::string& digest, std::span<const unsigned char> secret,
                                             const std::string& label, std::size_t length) {
  // struct { uint16 length; opaque label<7..255> = "tls13 " + Label; opaque context<0..255> = ""; }
  const std::string full_label = "tls13 " + label;
  std::vector<unsigned char> info = {static_cast<unsigned char>(length >> 8), static_cast<unsigned char>(length),
                                     static_cast<unsigned char>(full_label.size())};
  info.insert(info.end(), full_label.begin(), full_label.end());
  info.push_back(0);

  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  EVP_KDF_CTX* context = kdf ? EVP_KDF_CTX_new(kdf) : nullptr;
  EVP_KDF_free(kdf);
  if (!context) throw TlsError("HKDF unavailable: " + openssl_errors());
  int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
  std::string digest_name = digest;
  const OSSL_PARAM parameters[] = {
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest_name.data(), 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<unsigned char*>(secret.data()), secret.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), info.size()),
      OSSL_PARAM_construct_end()};
  std::vector<unsigned char> out(length);
  const int ok = EVP_KDF_derive(context, out.data(), out.size(), parameters);
  EVP_KDF_CTX_free(context);
  if (ok != 1) throw TlsError("HKDF-Expand-Label '" + label + "' failed: " + openssl_errors());
  return out;
}

bool RecordProtection::supports(const std::string& suite) { return find_suite(suite) != nullptr; }

RecordProtection::RecordProtection(const std::string& suite, std::span<const unsigned char> secret,
                                   const std::string& properties)
    : suite_(suite), secret_(secret.begin(), secret.end()) {
  const SuiteParameters* parameters = find_suite(suite);
  if (!parameters) throw TlsError("ringsim's record layer does not know the TLS suite " + suite);
  cipher_ = EVP_CIPHER_fetch(nullptr, parameters->cipher, properties.empty() ? nullptr : properties.c_str());
  context_ = EVP_CIPHER_CTX_new();
  digest_ = EVP_MD_fetch(nullptr, parameters->digest, nullptr);
  if (!cipher_ || !context_ || !digest_) {
    release();
    throw TlsError(std::string("cannot set up ") + parameters->cipher + " for TLS records: " + openssl_errors());
  }
  if (secret_.size() != static_cast<std::size_t>(EVP_MD_get_size(static_cast<EVP_MD*>(digest_)))) {
    release();
    throw TlsError("traffic secret of the wrong length for " + suite);
  }
  derive_key_and_iv();
}

RecordProtection::~RecordProtection() { release(); }

void RecordProtection::release() {
  for (auto* bytes : {&secret_, &key_, &iv_}) OPENSSL_cleanse(bytes->data(), bytes->size());
  EVP_CIPHER_CTX_free(as_context(context_));
  EVP_CIPHER_free(static_cast<EVP_CIPHER*>(cipher_));
  EVP_MD_free(static_cast<EVP_MD*>(digest_));
  context_ = cipher_ = digest_ = nullptr;
}

void RecordProtection::derive_key_and_iv() {
  const SuiteParameters& parameters = *find_suite(suite_);
  OPENSSL_cleanse(key_.data(), key_.size());
  key_ = hkdf_expand_label(parameters.digest, secret_, "key", parameters.key_bytes);
  iv_ = hkdf_expand_label(parameters.digest, secret_, "iv", kIvBytes);
  sequence_ = 0;
  keyed_for_ = Direction::None;
}

void RecordProtection::update_keys() {
  std::vector<unsigned char> next =
      hkdf_expand_label(find_suite(suite_)->digest, secret_, "traffic upd", secret_.size());
  OPENSSL_cleanse(secret_.data(), secret_.size());
  secret_ = std::move(next);
  derive_key_and_iv();
}

void RecordProtection::next_nonce(unsigned char* nonce) {
  // The IV XOR the record's 64-bit sequence number, left-padded (RFC 8446 5.3).
  std::memcpy(nonce, iv_.data(), kIvBytes);
  for (int i = 0; i < 8; ++i) nonce[kIvBytes - 1 - i] ^= static_cast<unsigned char>(sequence_ >> (8 * i));
  ++sequence_;
}

std::size_t RecordProtection::seal(ContentType type, std::span<const std::byte> content, std::byte* out) {
  RINGSIM_ENFORCE(content.size() <= kMaxRecordContent, "TLS record content too long");
  const std::size_t body = content.size() + 1 + kRecordTagBytes;
  auto* header = reinterpret_cast<unsigned char*>(out);
  header[0] = static_cast<unsigned char>(ContentType::ApplicationData);  // the outer type is always this
  header[1] = 0x03;
  header[2] = 0x03;
  header[3] = static_cast<unsigned char>(body >> 8);
  header[4] = static_cast<unsigned char>(body);
  unsigned char* sealed = header + kRecordHeaderBytes;
  unsigned char nonce[kIvBytes];
  next_nonce(nonce);
  EVP_CIPHER_CTX* context = as_context(context_);
  const unsigned char inner_type = static_cast<unsigned char>(type);
  int n = 0, m = 0, last = 0;
  const bool ok =
      (keyed_for_ == Direction::Seal
           ? EVP_EncryptInit_ex2(context, nullptr, nullptr, nonce, nullptr)
           : EVP_EncryptInit_ex2(context, static_cast<EVP_CIPHER*>(cipher_), key_.data(), nonce, nullptr)) == 1 &&
      EVP_EncryptUpdate(context, nullptr, &n, header, kRecordHeaderBytes) == 1 &&
      EVP_EncryptUpdate(context, sealed, &n, reinterpret_cast<const unsigned char*>(content.data()),
                        static_cast<int>(content.size())) == 1 &&
      EVP_EncryptUpdate(context, sealed + n, &m, &inner_type, 1) == 1 &&
      EVP_EncryptFinal_ex(context, sealed + n + m, &last) == 1 &&
      EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_GET_TAG, kRecordTagBytes, sealed + content.size() + 1) == 1;
  if (!ok) throw TlsError("sealing a TLS record failed: " + openssl_errors());
  keyed_for_ = Direction::Seal;
  return kRecordHeaderBytes + body;
}

std::size_t RecordProtection::body_length(const unsigned char* header, const std::string& peer) {
  if (header[0] != static_cast<unsigned char>(ContentType::ApplicationData) || header[1] != 0x03 ||
      header[2] != 0x03)
    throw RecordRefused(peer,
                        "unexpected record header " + std::to_string(header[0]) + "/" + std::to_string(header[1]) +
                            "." + std::to_string(header[2]) + " (not a TLS 1.3 protected record: tampered or not TLS)",
                        Alert::UnexpectedMessage);
  const std::size_t body = (std::size_t{header[3]} << 8) | header[4];
  if (body < 1 + kRecordTagBytes || body > kMaxRecordBody)
    throw RecordRefused(peer, "record length " + std::to_string(body) + " out of range (tampered or corrupted)",
                        Alert::RecordOverflow);
  return body;
}

RecordProtection::Opened RecordProtection::open(std::span<const unsigned char> record, std::byte* out,
                                                const std::string& peer) {
  const std::size_t body = body_length(record.data(), peer);
  RINGSIM_ENFORCE(record.size() == kRecordHeaderBytes + body, "open() needs exactly one whole record");
  const std::size_t inner = body - kRecordTagBytes;
  const unsigned char* sealed = record.data() + kRecordHeaderBytes;
  auto* plain = reinterpret_cast<unsigned char*>(out);
  unsigned char nonce[kIvBytes];
  next_nonce(nonce);
  EVP_CIPHER_CTX* context = as_context(context_);
  int n = 0, last = 0;
  const bool ok =
      (keyed_for_ == Direction::Open
           ? EVP_DecryptInit_ex2(context, nullptr, nullptr, nonce, nullptr)
           : EVP_DecryptInit_ex2(context, static_cast<EVP_CIPHER*>(cipher_), key_.data(), nonce, nullptr)) == 1 &&
      EVP_DecryptUpdate(context, nullptr, &n, record.data(), kRecordHeaderBytes) == 1 &&
      EVP_DecryptUpdate(context, plain, &n, sealed, static_cast<int>(inner)) == 1 &&
      EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_SET_TAG, kRecordTagBytes,
                          const_cast<unsigned char*>(sealed + inner)) == 1;
  keyed_for_ = Direction::Open;
  if (!ok) throw RecordRefused(peer, "cannot open a record: " + openssl_errors(), Alert::InternalError);
  if (EVP_DecryptFinal_ex(context, plain + n, &last) != 1) {
    ERR_clear_error();
    throw RecordRefused(peer, "a record failed authentication (bad record MAC: tampered or corrupted on the wire)",
                        Alert::BadRecordMac);
  }
  // Content, then the real type, then zero padding (RFC 8446 5.4).
  std::size_t end = inner;
  while (end > 0 && plain[end - 1] == 0) --end;
  if (end == 0) throw RecordRefused(peer, "a record without a content type", Alert::UnexpectedMessage);
  if (end - 1 > kMaxRecordContent)
    throw RecordRefused(peer, "record overflow (" + std::to_string(end - 1) + " content bytes; at most 16384)",
                        Alert::RecordOverflow);
  return {static_cast<ContentType>(plain[end - 1]), end - 1};
}

double measure_record_seal_rate(const std::string& choice, double seconds) {
  const std::vector<unsigned char> secret(32, 1);
  RecordProtection sealer("TLS_AES_128_GCM_SHA256", secret, tls_property_query(choice));
  const std::vector<std::byte> content(kMaxRecordContent, std::byte{0x5a});
  std::vector<std::byte> record(kMaxRecordContent + kRecordOverhead);
  std::size_t bytes = 0;
  const double started = now_seconds();
  double elapsed = 0;
  while (elapsed < seconds) {
    for (int i = 0; i < 64; ++i) {
      sealer.seal(ContentType::ApplicationData, content, record.data());
      bytes += content.size();
    }
    elapsed = now_seconds() - started;
  }
  return static_cast<double>(bytes) / elapsed;
}

}  // namespace ringsim
