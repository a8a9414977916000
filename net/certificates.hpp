#pragma once
// Making the job's keys and certificates: a CA, and one certificate per host
// signed by it (ECDSA P-256, SHA-256). Used by `ringsim certs` and by
// --tls-ephemeral.
#include <string>
#include <vector>

#include "net/openssl_util.hpp"

namespace ringsim {

// A certificate with its private key, in memory (what --tls-ephemeral
// uses: a PEM round trip costs ~0.4 ms per key in OpenSSL 3.0's decoders).
struct CertifiedKey {
  X509Ptr certificate;
  KeyPtr key;
};

CertifiedKey new_certificate_authority(const std::string& common_name, int valid_days);
// See make_host_certificate.
CertifiedKey new_host_certificate(X509* authority, EVP_PKEY* authority_key, const std::string& host,
                                  const std::vector<std::string>& extra_names, int valid_days, int not_before_days = 0);

struct PemPair {
  std::string certificate;  // PEM
  std::string private_key;  // PEM (PKCS#8)
};

PemPair make_certificate_authority(const std::string& common_name, int valid_days);

// A certificate for `host` (subject CN and subjectAltName DNS entry, plus any
// `extra_names`; IP literals become IP entries), valid from
// now + `not_before_days` for `valid_days`, usable as TLS client and server.
PemPair make_host_certificate(const PemPair& authority, const std::string& host,
                              const std::vector<std::string>& extra_names, int valid_days, int not_before_days = 0);

// A self-signed certificate for one job (--tls-ephemeral): peers accept it
// by its fingerprint, which travels over MPI; no private key does.
CertifiedKey new_self_signed_certificate(const std::string& common_name, int valid_days);

// SHA-256 of the certificate's DER encoding, as 64 hex digits.
std::string certificate_fingerprint(X509* certificate);

// Writes `text` to `path` with mode 0600 (atomically).
void write_private_file(const std::string& path, const std::string& text);
std::string read_text_file(const std::string& path, const std::string& what);

// Writes exactly what a job's certificate channel holds into `dir`: ca.pem
// and, per host, HOST.pem and HOST.key (0600). The CA's private key is not
// among them (a host that held it could mint certificates for any host); it
// is written only to `ca_key_path`, when given. The CA is made for this job
// alone and named for it ("ringsim job CA JOB"), so that a refusal of another
// job's certificate can say whose it is; returns JOB (`job`, or a fresh
// random name when empty).
std::string write_job_certificates(const std::string& dir, const std::vector<std::string>& hosts, int days,
                                   const std::string& ca_key_path, std::string job = "");

}  // namespace ringsim
