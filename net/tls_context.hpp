#pragma once
// What a TLS connection is made from: the job's credentials (or a
// throwaway pinned identity) and one OpenSSL context per transport, TLS 1.3
// only, both sides presenting a certificate. How a peer's certificate is
// checked: peer_verification.hpp; the stream itself: tls_stream.hpp.
#include <cstdint>
#include <string>

#include "net/openssl_util.hpp"

namespace ringsim {

struct TlsCredentials {
  std::string ca_certificate;  // PEM: the job CA, the only trust anchor
  std::string certificate;     // PEM: this host's certificate
  std::string private_key;     // PEM
};

// The same, parsed. A null CA means peers are pinned by fingerprint.
struct TlsIdentity {
  X509Ptr ca_certificate;
  X509Ptr certificate;
  KeyPtr private_key;
};
// A throwaway self-signed identity for --tls-ephemeral.
TlsIdentity new_ephemeral_identity();
// Throws TlsError naming --tls-ca / --tls-cert / --tls-key when one is not PEM.
TlsIdentity parse_tls_credentials(const TlsCredentials& credentials);

// The property query every algorithm of a TLS context is fetched with:
// OpenSSL's default provider is preferred, so a second provider that offers
// the same algorithm (loaded first, or by a configuration file) is not
// picked by chance (OpenSSL leaves the choice between two unqualified
// implementations unspecified). Optional ('?'), so a FIPS-only set-up still
// works.
inline constexpr const char* kTlsPropertyQuery = "?provider=default";

struct PresharedKey;

class TlsContext {
 public:
  // `records`: "auto" (OpenSSL's record layer, handed to the kernel where
  // the kernel and OpenSSL offer kTLS) or "openssl" (OpenSSL's record layer
  // in user space only). `own_host`: the host name peers expect this side's
  // certificate to carry (empty: identity_host()), used to explain a
  // refusal of this side's certificate.
  TlsContext(const TlsIdentity& identity, const std::string& ciphersuites, const std::string& records = "auto",
             std::string own_host = "");
  TlsContext(const TlsCredentials& credentials, const std::string& ciphersuites, const std::string& records = "auto",
             std::string own_host = "");
  // Peers authenticated by a key both hold (preshared_key.hpp), with no
  // certificates: the launcher's control channel given a job secret.
  TlsContext(const PresharedKey& key, std::string own_host);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;
  void* native() const { return ctx_; }  // SSL_CTX*
  // Connections try kTLS (records = auto and the kernel has the tls module).
  bool tries_kernel_tls() const { return tries_kernel_tls_; }
  // Tests: try kTLS even where the probe says the kernel lacks it, to
  // exercise OpenSSL's own fallback.
  void try_kernel_tls_anyway();
  const std::string& own_host() const { return own_host_; }
  // Records a key seals before this side moves to a fresh one (KeyUpdate,
  // checked before each write of up to 16 records): 2^23 by default, RFC
  // 8446 5.5 allows AES-GCM 2^24.5. Tests lower it.
  void set_records_per_key(std::uint64_t records) { records_per_key_ = records; }
  std::uint64_t records_per_key() const { return records_per_key_; }
  // Writes of 64 KiB or more move a connection to pipelined sending
  // (record_sender.hpp); off only to measure what it gains.
  void set_pipelined_sending(bool on) { pipelined_sending_ = on; }
  bool pipelined_sending() const { return pipelined_sending_; }
  // Reads of 64 KiB or more move a connection to pipelined receiving
  // (record_receiver.hpp); off only to measure what it gains.
  void set_pipelined_receiving(bool on) { pipelined_receiving_ = on; }
  bool pipelined_receiving() const { return pipelined_receiving_; }
  bool pins_peers() const { return !fingerprint_.empty(); }
  bool uses_preshared_key() const { return psk_ != nullptr; }
  // Pinned contexts: this side's certificate fingerprint, to publish.
  const std::string& fingerprint() const { return fingerprint_; }

 private:
  void* ctx_ = nullptr;
  bool tries_kernel_tls_ = false;
  std::string own_host_;
  std::string fingerprint_;
  std::unique_ptr<PresharedKey> psk_;
  std::uint64_t records_per_key_ = std::uint64_t{1} << 23;
  bool pipelined_sending_ = true;
  bool pipelined_receiving_ = true;
};

// Pays OpenSSL's one-time start-up (provider fetches, encoders, decoders,
// EC tables, the record cipher: about 7 ms here) ahead of time; ringsim
// runs it on a thread while MPI starts.
void warm_up_tls();

}  // namespace ringsim
