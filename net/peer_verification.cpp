#include "net/peer_verification.hpp"

#include <arpa/inet.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <ctime>

#include "common/peer_text.hpp"
#include "net/certificates.hpp"

namespace ringsim {

std::string format_time(const ASN1_TIME* time) {
  std::tm tm{};
  if (!time || ASN1_TIME_to_tm(time, &tm) != 1) return "an unreadable date";
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return text;
}

std::string certificate_hosts(X509* certificate) {
  std::string names;
  const auto add = [&](const std::string& name) { names += (names.empty() ? "" : " or ") + name; };
  auto* alt_names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; alt_names && i < sk_GENERAL_NAME_num(alt_names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(alt_names, i);
    if (name->type == GEN_DNS) {
      // The peer's own words: escaped to one printable line (common/peer_text.hpp).
      add(printable_line(std::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(name->d.dNSName)),
                                          static_cast<std::size_t>(ASN1_STRING_length(name->d.dNSName))),
                         128));
    } else if (name->type == GEN_IPADD) {
      const int length = ASN1_STRING_length(name->d.iPAddress);
      char text[INET6_ADDRSTRLEN] = "?";
      ::inet_ntop(length == 16 ? AF_INET6 : AF_INET, ASN1_STRING_get0_data(name->d.iPAddress), text, sizeof text);
      add(text);
    }
  }
  GENERAL_NAMES_free(alt_names);
  if (names.empty()) {
    char common_name[256] = "";
    const int length =
        X509_NAME_get_text_by_NID(X509_get_subject_name(certificate), NID_commonName, common_name, sizeof common_name);
    add(length > 0 ? printable_line(std::string_view(common_name, static_cast<std::size_t>(length)), 128)
                   : "(no name)");
  }
  return names;
}

namespace {

int check_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

PeerCheck* check_of(const SSL* ssl) { return static_cast<PeerCheck*>(SSL_get_ex_data(ssl, check_index())); }
PeerCheck* check_of(X509_STORE_CTX* store) {
  auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  return ssl ? check_of(ssl) : nullptr;
}

// " (issued by 'NAME')", the common name of the certificate's issuer (a job
// CA names its job), or "". The name is the peer's words: quoted and
// escaped to one printable line.
std::string issuer_of(X509* certificate) {
  char name[256] = "";
  const int length =
      certificate ? X509_NAME_get_text_by_NID(X509_get_issuer_name(certificate), NID_commonName, name, sizeof name) : 0;
  if (length <= 0) return "";
  return " (issued by " + peer_words(std::string_view(name, static_cast<std::size_t>(length)), 128) + ")";
}

// Why a peer certificate is refused, in words, from the refusing side.
std::string describe_refusal(int error, X509* failing, X509* leaf, const std::string& expected_host) {
  switch (error) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_CERT_UNTRUSTED:
      return "its certificate is not signed by the job CA" + issuer_of(leaf);
    case X509_V_ERR_HOSTNAME_MISMATCH:
      return "its certificate is for host " + (leaf ? certificate_hosts(leaf) : "?") + ", expected " + expected_host;
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return "its certificate expired on " + format_time(failing ? X509_get0_notAfter(failing) : nullptr);
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return "its certificate is not valid before " + format_time(failing ? X509_get0_notBefore(failing) : nullptr);
    case X509_V_ERR_CERT_REJECTED:
      return "its certificate is not the one that rank published (fingerprint mismatch)";
    default:
      return std::string("its certificate failed verification: ") + X509_verify_cert_error_string(error);
  }
}

}  // namespace

void attach_peer_check(SSL* ssl, PeerCheck* check) { SSL_set_ex_data(ssl, check_index(), check); }

// CA contexts: OpenSSL verifies the chain and the host name; this records
// the first failure in words (the alert the peer gets is coarser).
int peer_verify_callback(int ok, X509_STORE_CTX* store) {
  PeerCheck* check = check_of(store);
  if (!ok && check && check->refusal.empty())
    check->refusal = describe_refusal(X509_STORE_CTX_get_error(store), X509_STORE_CTX_get_current_cert(store),
                                      X509_STORE_CTX_get0_cert(store), check->expected_host);
  return ok;
}

// Replaces chain verification in pinning contexts: the peer's certificate
// must be exactly the one that rank published, and within its validity.
// (TLS 1.3's CertificateVerify then proves the peer holds its key.)
int pinned_verify_callback(X509_STORE_CTX* store, void*) {
  PeerCheck* check = check_of(store);
  X509* presented = X509_STORE_CTX_get0_cert(store);
  int error = X509_V_OK;
  if (!check || !presented || certificate_fingerprint(presented) != check->expected_fingerprint)
    error = X509_V_ERR_CERT_REJECTED;
  else if (X509_cmp_current_time(X509_get0_notBefore(presented)) >= 0)
    error = X509_V_ERR_CERT_NOT_YET_VALID;
  else if (X509_cmp_current_time(X509_get0_notAfter(presented)) <= 0)
    error = X509_V_ERR_CERT_HAS_EXPIRED;
  X509_STORE_CTX_set_error(store, error);
  if (error == X509_V_OK) return 1;
  if (check && check->refusal.empty()) check->refusal = describe_refusal(error, presented, presented, "");
  return 0;
}

void peer_info_callback(const SSL* ssl, int where, int value) {
  if (!(where & SSL_CB_READ_ALERT)) return;
  if (PeerCheck* check = check_of(ssl); check && check->alert < 0) check->alert = value & 0xff;
}

std::string refusal_of_own_certificate(const PeerCheck& check, X509* mine, bool pinned, const std::string& own_host) {
  switch (check.alert) {
    case SSL_AD_UNKNOWN_CA:
    case SSL_AD_DECRYPT_ERROR:  // the chain's signature did not verify against the peer's CA
      return pinned ? "it does not accept this rank's certificate (not the one this rank published)"
                    : "not signed by the job CA";
    case SSL_AD_CERTIFICATE_EXPIRED:
      return "expired on " + format_time(mine ? X509_get0_notAfter(mine) : nullptr);
    case SSL_AD_BAD_CERTIFICATE:
    case SSL_AD_CERTIFICATE_UNKNOWN:
    case SSL_AD_UNSUPPORTED_CERTIFICATE:
      if (mine && X509_cmp_current_time(X509_get0_notBefore(mine)) >= 0)
        return "not valid before " + format_time(X509_get0_notBefore(mine));
      if (pinned) return "not the certificate this rank published (fingerprint mismatch)";
      if (mine && X509_check_host(mine, own_host.c_str(), own_host.size(), 0, nullptr) != 1)
        return "certificate is for host " + certificate_hosts(mine) + ", expected " + own_host;
      return std::string("alert ") + SSL_alert_desc_string_long(check.alert);
    default:
      return "";
  }
}

}  // namespace ringsim
