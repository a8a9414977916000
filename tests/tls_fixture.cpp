#include "tls_fixture.hpp"

namespace ringsim::testing {

const PemPair& job_ca() {
  static const PemPair ca = make_certificate_authority("test job CA", 1);
  return ca;
}

PemPair host_certificate(const std::string& host, CertificateKind kind) {
  // The dated kinds are days off, far beyond the five minutes of clock skew
  // a peer allows.
  switch (kind) {
    case CertificateKind::valid:
      return make_host_certificate(job_ca(), host, {}, 1);
    case CertificateKind::foreign: {
      static const PemPair other_ca = make_certificate_authority("other CA", 1);
      return make_host_certificate(other_ca, host, {}, 1);
    }
    case CertificateKind::expired:
      return make_host_certificate(job_ca(), host, {}, 5, -(expired_days_ago + 5));
    case CertificateKind::not_yet_valid:
      return make_host_certificate(job_ca(), host, {}, 5, valid_in_days);
  }
  return {};
}

TlsCredentials credentials(const PemPair& certificate) {
  return {job_ca().certificate, certificate.certificate, certificate.private_key};
}

std::unique_ptr<TlsContext> tls_context(const PemPair& certificate, const std::string& records,
                                        const std::string& own_host) {
  return std::make_unique<TlsContext>(credentials(certificate), test_cipher_suite, records, own_host);
}

void write_pem_files(const std::string& dir, const std::string& name, const PemPair& pair) {
  write_private_file(dir + "/" + name + ".pem", pair.certificate);
  write_private_file(dir + "/" + name + ".key", pair.private_key);
}

}  // namespace ringsim::testing
