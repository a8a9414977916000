#include "transport/tls_credentials.hpp"

#include <cstdio>

#include "common/errors.hpp"
#include "common/job_config.hpp"
#include "common/log.hpp"
#include "net/certificates.hpp"

namespace ringsim {

TlsIdentity load_tls_credentials(const TransportOptions& options, const Communicator& comm, const std::string& host) {
  if (options.tls_ephemeral) {
    if (comm.rank() == 0)
      log::warning(
          "--tls-ephemeral: every rank made a throwaway certificate and the ranks learn each other's fingerprints "
          "through the MPI launch channel. No key crosses it, but peers are only as authentic as that channel; use "
          "`ringsim certs` and --tls-ca/--tls-cert/--tls-key otherwise.");
    const auto& ahead = options.tls_identity_made_ahead;
    if (ahead && ahead->certificate && ahead->private_key) {
      X509_up_ref(ahead->certificate.get());
      EVP_PKEY_up_ref(ahead->private_key.get());
      return {nullptr, X509Ptr(ahead->certificate.get()), KeyPtr(ahead->private_key.get())};
    }
    return new_ephemeral_identity();
  }
  if (options.tls_ca.empty() || options.tls_cert.empty() || options.tls_key.empty())
    throw InputError(
        "--transport tls needs --tls-ca, --tls-cert and --tls-key (see `ringsim certs`), or --tls-ephemeral");
  // "{host}" replaced as in the job table's other per-host paths.
  JobConfig files;
  static_cast<TransportSettings&>(files) = options;
  expand_host_paths(files, host);
  return parse_tls_credentials({read_text_file(files.tls_ca, "--tls-ca"), read_text_file(files.tls_cert, "--tls-cert"),
                                read_text_file(files.tls_key, "--tls-key")});
}

}  // namespace ringsim
