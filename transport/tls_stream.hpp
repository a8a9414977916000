#pragma once
// TLS 1.3 over a connected socket, mutually authenticated. Either both
// sides present a certificate signed by the job CA and each checks that the
// peer's certificate names the host it expects that rank to run on, or
// (--tls-ephemeral) each presents a self-signed certificate made for this
// job and the other accepts exactly the one whose fingerprint that rank
// published.
//
// OpenSSL does all of TLS: handshake, key schedule and the record layer.
// Where the kernel offers TLS (the `tls` module) and OpenSSL can hand it a
// direction's keys, that direction's records are sealed or opened by the
// kernel (kTLS); the stream reports which.
//
// A refusal names its cause on both sides: the refusing side from its
// certificate check, the refused side from the alert it receives and what it
// knows of its own certificate (see RefusalTest in tests/transport/test_connection.cpp).
#include <cstdint>
#include <memory>
#include <string>

#include "transport/openssl_util.hpp"
#include "transport/stream.hpp"

namespace ringsim {

struct PresharedKey;

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
};

// Whether this kernel can take over TLS records: a TCP socket accepts the
// `tls` upper-layer protocol (probed once per process on a loopback pair).
bool kernel_offers_tls();

// What protected a TLS transport's records, for the report: e.g.
// "OpenSSL 3.0.19 27 Jan 2026 record layer" or "... ; kernel TLS: send".
std::string describe_tls_records(bool kernel_send, bool kernel_receive);

// Pays OpenSSL's one-time start-up (provider fetches, encoders, decoders,
// EC tables, the record cipher: about 7 ms here) ahead of time; ringsim
// runs it on a thread while MPI starts.
void warm_up_tls();

// `server`: this side accepted the TCP connection. `expected_host`: the name
// the peer's certificate must carry (CA contexts). `expected_fingerprint`:
// the peer's certificate fingerprint (pinning contexts; required there).
// `peer`: how errors name the peer.
std::unique_ptr<Stream> make_tls_stream(Socket socket, const TlsContext& context, bool server,
                                        const std::string& expected_host, std::string peer,
                                        const std::string& expected_fingerprint = "");

// The 7 bytes a TLS endpoint sends in clear to a peer that spoke plaintext:
// a fatal unexpected_message alert record.
inline constexpr unsigned char kPlaintextAlert[7] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x0a};

}  // namespace ringsim
