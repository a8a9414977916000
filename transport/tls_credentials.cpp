#include "transport/tls_credentials.hpp"

#include <cstdio>

#include "common/errors.hpp"
#include "common/host.hpp"
#include "transport/certificates.hpp"

namespace ringsim {

TlsCredentials load_tls_credentials(const TransportOptions& options, const MpiComm& comm, const std::string& host) {
  if (options.tls_ephemeral) {
    if (comm.rank() == 0)
      std::fprintf(stderr,
                   "ringsim: WARNING: --tls-ephemeral: the job CA was generated now and its key is sent to every "
                   "rank through the MPI launch channel. This protects rank traffic from eavesdroppers and "
                   "tampering on the network only if that launch channel is itself trusted; use `ringsim certs` "
                   "and --tls-ca/--tls-cert/--tls-key otherwise.\n");
    std::string ca_certificate, ca_key;
    if (comm.rank() == 0) {
      const PemPair ca = make_certificate_authority("ringsim ephemeral job CA", 2);
      ca_certificate = ca.certificate;
      ca_key = ca.private_key;
    }
    const PemPair ca{comm.broadcast(ca_certificate, 0), comm.broadcast(ca_key, 0)};
    const PemPair mine = make_host_certificate(ca, host, {"localhost", "127.0.0.1"}, 2);
    return {ca.certificate, mine.certificate, mine.private_key};
  }
  if (options.tls_ca.empty() || options.tls_cert.empty() || options.tls_key.empty())
    throw InputError("--transport tls needs --tls-ca, --tls-cert and --tls-key (see `ringsim certs`), or --tls-ephemeral");
  return {read_text_file(expand_host(options.tls_ca, host), "--tls-ca"),
          read_text_file(expand_host(options.tls_cert, host), "--tls-cert"),
          read_text_file(expand_host(options.tls_key, host), "--tls-key")};
}

}  // namespace ringsim
