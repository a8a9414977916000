#pragma once
// TLS 1.3 record protection (RFC 8446 sections 5 and 7), done by ringsim
// once OpenSSL's handshake is over, for one direction of a connection.
//
// Why not OpenSSL's record layer: OpenSSL 3.0 copies every byte twice on
// the way in (socket buffer -> record buffer, decrypted record -> caller)
// and once on the way out; on a receiver that is already busy copying out
// of the kernel those copies held TLS to half of plain TCP. Kernel TLS
// would remove them, but the kernels we run on do not offer it. Here the
// record is opened straight from the socket buffer into the caller's
// memory, and sealed straight from the caller's memory into the send
// buffer: one pass each way, fused with the cipher.
//
// The wire is unchanged, standard TLS 1.3: the keys are derived from the
// handshake's application traffic secrets exactly as OpenSSL derives them,
// so a peer using OpenSSL's own record layer interoperates (tested).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/errors.hpp"

namespace ringsim {

inline constexpr std::size_t kRecordHeaderBytes = 5;
inline constexpr std::size_t kRecordTagBytes = 16;
inline constexpr std::size_t kMaxRecordContent = 16384;                   // 2^14
inline constexpr std::size_t kMaxRecordBody = kMaxRecordContent + 256;    // RFC 8446 5.2
inline constexpr std::size_t kRecordOverhead = kRecordHeaderBytes + 1 + kRecordTagBytes;  // header, type, tag
// RFC 8446 5.5: AES-GCM keys must not seal more than 2^24.5 full records;
// ringsim moves to the next key (KeyUpdate) well before that.
inline constexpr std::uint64_t kRecordsPerKey = std::uint64_t{1} << 23;

enum class ContentType : std::uint8_t { Alert = 21, Handshake = 22, ApplicationData = 23 };

// TLS alert descriptions (RFC 8446 6) this layer sends or names.
enum class Alert : std::uint8_t {
  CloseNotify = 0,
  UnexpectedMessage = 10,
  BadRecordMac = 20,
  RecordOverflow = 22,
  DecodeError = 50,
  InternalError = 80,
};

// A record (or a message in one) this side refuses: "TLS error receiving
// from <peer>: <reason>", and the fatal alert the peer is owed for it.
class RecordRefused : public TlsError {
 public:
  RecordRefused(const std::string& peer, const std::string& reason, Alert alert)
      : TlsError("TLS error receiving from " + peer + ": " + reason), alert_(alert) {}
  Alert alert() const { return alert_; }

 private:
  Alert alert_;
};

class RecordProtection {
 public:
  // `suite`: the negotiated TLS 1.3 suite (see supports()); `secret`: this
  // direction's application traffic secret; `properties`: the property
  // query the AEAD is fetched with (tls_property_query()).
  RecordProtection(const std::string& suite, std::span<const unsigned char> secret, const std::string& properties);
  ~RecordProtection();
  RecordProtection(const RecordProtection&) = delete;
  RecordProtection& operator=(const RecordProtection&) = delete;

  static bool supports(const std::string& suite);

  // Seals `content` (at most kMaxRecordContent bytes) as one record of
  // `type` into `out`, which must have room for content.size() +
  // kRecordOverhead bytes. Returns the bytes written.
  std::size_t seal(ContentType type, std::span<const std::byte> content, std::byte* out);

  // The body length a record header announces. Throws RecordRefused naming
  // `peer` when the header is not that of a TLS 1.3 protected record.
  static std::size_t body_length(const unsigned char* header, const std::string& peer);

  struct Opened {
    ContentType type;
    std::size_t length;  // content bytes, at the front of `out`
  };
  // Opens one whole record (header and body) into `out`, which must have
  // room for body - kRecordTagBytes bytes (content, type, padding). Throws
  // RecordRefused naming `peer` when it fails authentication or is
  // malformed; `out` then holds garbage that must not be used.
  Opened open(std::span<const unsigned char> record, std::byte* out, const std::string& peer);

  // Next generation of secret, key and IV; the sequence restarts at 0.
  void update_keys();
  std::uint64_t records_under_this_key() const { return sequence_; }

 private:
  void derive_key_and_iv();
  void release();  // wipes the keys, frees the OpenSSL objects
  void next_nonce(unsigned char* nonce);

  std::string suite_;
  void* digest_ = nullptr;  // EVP_MD*
  void* cipher_ = nullptr;  // EVP_CIPHER*
  void* context_ = nullptr;  // EVP_CIPHER_CTX*
  // What context_ was last initialised for with the current key; a new
  // record then only needs its nonce.
  enum class Direction { None, Seal, Open } keyed_for_ = Direction::None;
  std::vector<unsigned char> secret_, key_, iv_;
  std::uint64_t sequence_ = 0;
};

// Bytes per second one core seals as TLS records: full 16 KiB records,
// TLS_AES_128_GCM_SHA256, through RecordProtection::seal, the record
// layer's own path, with the AEAD fetched as `--tls-crypto choice` fetches it.
double measure_record_seal_rate(const std::string& choice, double seconds);

// HKDF-Expand-Label (RFC 8446 7.1) with `digest` ("SHA256", "SHA384").
std::vector<unsigned char> hkdf_expand_label(const std::string& digest, std::span<const unsigned char> secret,
                                             const std::string& label, std::size_t length);

}  // namespace ringsim
