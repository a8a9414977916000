#pragma once
// TLS 1.3 over a connected socket, mutually authenticated. Either both
// sides present a certificate signed by the job CA and each checks that the
// peer's certificate names the host it expects that rank to run on, or
// (--tls-ephemeral) each presents a self-signed certificate made for this
// job and the other accepts exactly the one whose fingerprint that rank
// published.
#include <cstdint>
#include <memory>
#include <string>

#include "transport/openssl_util.hpp"
#include "transport/stream.hpp"

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

class TlsContext {
 public:
  TlsContext(const TlsIdentity& identity, const std::string& ciphersuites, const std::string& crypto = "auto");
  // `crypto`: "auto" (ipsec-mb's AES-GCM where it runs, and ringsim's
  // record layer, tls_records.hpp) or "openssl" (OpenSSL's AES-GCM and
  // record layer), see tls_property_query().
  TlsContext(const TlsCredentials& credentials, const std::string& ciphersuites, const std::string& crypto = "auto");
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;
  void* native() const { return ctx_; }                  // SSL_CTX*
  const std::string& crypto() const { return crypto_; }  // what seals the records, and whose record layer
  // ringsim's record layer after the handshake (else OpenSSL's).
  bool own_records() const { return own_records_; }
  const std::string& properties() const { return properties_; }  // for fetching the record cipher
  // Tests: how many records a key seals before KeyUpdate (own records only).
  void set_records_per_key(std::uint64_t records) { records_per_key_ = records; }
  std::uint64_t records_per_key() const { return records_per_key_; }
  bool pins_peers() const { return !fingerprint_.empty(); }
  // Pinned contexts: this side's certificate fingerprint, to publish.
  const std::string& fingerprint() const { return fingerprint_; }

 private:
  void* ctx_ = nullptr;
  std::string crypto_;
  std::string fingerprint_;
  bool own_records_ = false;
  std::string properties_;
  std::uint64_t records_per_key_;
};

// Pays OpenSSL's one-time start-up (provider fetches, encoders, decoders,
// EC tables, the record cipher: about 7 ms here) ahead of time; ringsim
// runs it on a thread while MPI starts. `crypto` as for TlsContext.
void warm_up_tls(const std::string& crypto);

// `server`: this side accepted the TCP connection. `expected_host`: the name
// the peer's certificate must carry (CA contexts). `expected_fingerprint`:
// the peer's certificate fingerprint (pinning contexts; required there).
// `peer`: how errors name the peer.
std::unique_ptr<Stream> make_tls_stream(Socket socket, const TlsContext& context, bool server,
                                        const std::string& expected_host, std::string peer,
                                        const std::string& expected_fingerprint = "");

}  // namespace ringsim
