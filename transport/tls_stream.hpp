#pragma once
// TLS 1.3 over a connected socket, mutually authenticated: both sides
// present a certificate signed by the job CA, and each checks that the
// peer's certificate names the host it expects that rank to run on.
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

// The same, parsed.
struct TlsIdentity {
  X509Ptr ca_certificate;
  X509Ptr certificate;
  KeyPtr private_key;
};
// Throws TlsError naming --tls-ca / --tls-cert / --tls-key when one is not PEM.
TlsIdentity parse_tls_credentials(const TlsCredentials& credentials);

class TlsContext {
 public:
  TlsContext(const TlsIdentity& identity, const std::string& ciphersuites, const std::string& crypto = "auto");
  // `crypto`: "auto" or "openssl", see tls_property_query().
  TlsContext(const TlsCredentials& credentials, const std::string& ciphersuites, const std::string& crypto = "auto");
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;
  void* native() const { return ctx_; }  // SSL_CTX*
  const std::string& crypto() const { return crypto_; }  // what seals the records

 private:
  void* ctx_ = nullptr;
  std::string crypto_;
};

// Pays OpenSSL's one-time start-up (provider fetches, encoders, decoders,
// EC tables, the record cipher: about 7 ms here) ahead of time; ringsim
// runs it on a thread while MPI starts. `crypto` as for TlsContext.
void warm_up_tls(const std::string& crypto);

// `server`: this side accepted the TCP connection. `expected_host`: the name
// the peer's certificate must carry. `peer`: how errors name the peer.
std::unique_ptr<Stream> make_tls_stream(Socket socket, const TlsContext& context, bool server,
                                        const std::string& expected_host, std::string peer);

}  // namespace ringsim
