#pragma once
// How one TLS connection checks its peer's certificate, and how a refusal
// is put in words on both sides. CA contexts: OpenSSL verifies the chain to
// the job CA and the host name (SSL_set1_host), and peer_verify_callback
// records the first failure in words. Pinning contexts (--tls-ephemeral):
// pinned_verify_callback replaces chain verification, accepting exactly the
// certificate whose fingerprint that rank published.
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <string>

namespace ringsim {

// What one connection's certificate check found, and what the peer said.
struct PeerCheck {
  std::string expected_host;
  std::string expected_fingerprint;  // pinning contexts
  std::string refusal;               // why this side refused the peer's certificate
  int alert = -1;                    // the alert the peer sent, if any
};

// Makes `check` the one the callbacks below fill in for `ssl` (it must
// outlive the handshake).
void attach_peer_check(SSL* ssl, PeerCheck* check);

// SSL_CTX_set_verify's callback (CA contexts).
int peer_verify_callback(int ok, X509_STORE_CTX* store);
// SSL_CTX_set_cert_verify_callback's callback (pinning contexts).
int pinned_verify_callback(X509_STORE_CTX* store, void*);
// SSL_CTX_set_info_callback's callback: remembers the alert a peer sends.
void peer_info_callback(const SSL* ssl, int where, int value);

// The refused side's view: the peer's alert (check.alert) read against this
// side's own certificate `mine`, e.g. "expired on 2026-12-01 13:00:00 UTC".
// Empty when the alert is not about this side's certificate.
std::string refusal_of_own_certificate(const PeerCheck& check, X509* mine, bool pinned, const std::string& own_host);

// "2026-12-01 13:00:00 UTC"
std::string format_time(const ASN1_TIME* time);
// The host names a certificate is for: its subjectAltName DNS and IP
// entries, else its common name; "a or b".
std::string certificate_hosts(X509* certificate);

}  // namespace ringsim
