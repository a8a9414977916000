#include "transport/tls_credentials.hpp"

#include <cstdio>

#include "common/errors.hpp"
#include "common/host.hpp"
#include "transport/certificates.hpp"

namespace ringsim {

TlsIdentity load_tls_credentials(const TransportOptions& options, const MpiComm& comm, const std::string& host) {
  if (options.tls_ephemeral) {
    if (comm.rank() == 0)
      std::fprintf(stderr,
                   "ringsim: WARNING: --tls-ephemeral: the job CA was generated now and its key is sent to every "
                   "rank through the MPI launch channel. This protects rank traffic from eavesdroppers and "
                   "tampering on the network only if that launch channel is itself trusted; use `ringsim certs` "
                   "and --tls-ca/--tls-cert/--tls-key otherwise.\n");
    // Kept in memory: only the CA crosses MPI as PEM, and only rank 0
    // makes it (OpenSSL 3.0 takes ~0.4 ms to parse a PEM key).
    CertifiedKey ca;
    std::string ca_certificate, ca_key;
    if (comm.rank() == 0) {
      ca = new_certificate_authority("ringsim ephemeral job CA", 2);
      ca_certificate = certificate_pem(ca.certificate.get());
      ca_key = private_key_pem(ca.key.get());
    }
    ca_certificate = comm.broadcast(ca_certificate, 0);
    ca_key = comm.broadcast(ca_key, 0);
    if (comm.rank() != 0) ca = {parse_certificate(ca_certificate, "the job CA"), parse_private_key(ca_key, "the job CA key")};
    CertifiedKey mine = new_host_certificate(ca.certificate.get(), ca.key.get(), host, {"localhost", "127.0.0.1"}, 2);
    return {std::move(ca.certificate), std::move(mine.certificate), std::move(mine.key)};
  }
  if (options.tls_ca.empty() || options.tls_cert.empty() || options.tls_key.empty())
    throw InputError("--transport tls needs --tls-ca, --tls-cert and --tls-key (see `ringsim certs`), or --tls-ephemeral");
  return parse_tls_credentials({read_text_file(expand_host(options.tls_ca, host), "--tls-ca"),
                                read_text_file(expand_host(options.tls_cert, host), "--tls-cert"),
                                read_text_file(expand_host(options.tls_key, host), "--tls-key")});
}

}  // namespace ringsim
