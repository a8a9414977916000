#pragma once
// The TLS material the tests share: one job CA per process, host
// certificates signed by it (and the kinds a peer must refuse), the PEM files
// a job's certificate channel holds, and contexts built from them.
#include <memory>
#include <string>

#include "net/certificates.hpp"
#include "net/tls_stream.hpp"

namespace ringsim::testing {

// The suite every test context offers (the job's default).
inline constexpr const char* test_cipher_suite = "TLS_AES_128_GCM_SHA256";

// The CA every test peer trusts, made once per process.
const PemPair& job_ca();

enum class CertificateKind {
  valid,          // signed by the job CA, valid from now for a day
  foreign,        // signed by a CA the job does not trust
  expired,        // signed by the job CA, expired `expired_days_ago` days ago
  not_yet_valid,  // signed by the job CA, valid only from `valid_in_days` days ahead
};
inline constexpr int expired_days_ago = 5;
inline constexpr int valid_in_days = 2;

// A certificate naming `host` (for the wrong-host case, ask for another
// host's certificate).
PemPair host_certificate(const std::string& host, CertificateKind kind = CertificateKind::valid);

// The job CA with `certificate` and its key: what a TlsContext is made from.
TlsCredentials credentials(const PemPair& certificate);

// A context presenting `certificate` and trusting the job CA; `records` and
// `own_host` as TlsContext takes them.
std::unique_ptr<TlsContext> tls_context(const PemPair& certificate, const std::string& records = "auto",
                                        const std::string& own_host = "");

// Writes `pair` as DIR/NAME.pem and DIR/NAME.key (mode 0600), as a job's
// certificate channel names a host's files.
void write_pem_files(const std::string& dir, const std::string& name, const PemPair& pair);

}  // namespace ringsim::testing
