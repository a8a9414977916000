#pragma once
// TLS 1.3 over a connected socket, mutually authenticated: both sides
// present a certificate signed by the job CA, and each checks that the
// peer's certificate names the host it expects that rank to run on.
#include <memory>
#include <string>

#include "transport/stream.hpp"

namespace ringsim {

struct TlsCredentials {
  std::string ca_certificate;  // PEM: the job CA, the only trust anchor
  std::string certificate;     // PEM: this host's certificate
  std::string private_key;     // PEM
};

class TlsContext {
 public:
  TlsContext(const TlsCredentials& credentials, const std::string& ciphersuites);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;
  void* native() const { return ctx_; }  // SSL_CTX*

 private:
  void* ctx_ = nullptr;
};

// Pays OpenSSL's one-time start-up (providers, EC tables: about 4 ms here)
// ahead of time; ringsim runs it on a thread while MPI starts.
void warm_up_tls();

// `server`: this side accepted the TCP connection. `expected_host`: the name
// the peer's certificate must carry. `peer`: how errors name the peer.
std::unique_ptr<Stream> make_tls_stream(Socket socket, const TlsContext& context, bool server,
                                        const std::string& expected_host, std::string peer);

}  // namespace ringsim
