#include "net/certificates.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/atomic_file.hpp"
#include "common/errors.hpp"
#include "common/hex.hpp"
#include "net/openssl_util.hpp"

namespace ringsim {

std::string openssl_errors() {
  std::string text;
  while (const unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    if (!text.empty()) text += "; ";
    text += buffer;
  }
  return text;
}

X509Ptr parse_certificate(const std::string& pem, const std::string& what) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr certificate(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!certificate) throw TlsError(what + " is not a PEM certificate (" + openssl_errors() + ")");
  return certificate;
}

KeyPtr parse_private_key(const std::string& pem, const std::string& what) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  KeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) throw TlsError(what + " is not a PEM private key (" + openssl_errors() + ")");
  return key;
}

std::string certificate_pem(X509* certificate) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), certificate);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(length));
}

std::string private_key_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(length));
}

namespace {

KeyPtr new_key() {
  KeyPtr key(EVP_EC_gen("P-256"));
  if (!key) throw TlsError("cannot generate an EC key: " + openssl_errors());
  return key;
}

void add_extension(X509* certificate, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer, certificate, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str());
  if (!extension) throw TlsError("bad certificate extension '" + value + "': " + openssl_errors());
  X509_add_ext(certificate, extension, -1);
  X509_EXTENSION_free(extension);
}

X509Ptr new_certificate(EVP_PKEY* key, const std::string& common_name, int valid_days, int not_before_days) {
  X509Ptr certificate(X509_new());
  X509_set_version(certificate.get(), 2);  // v3
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;  // positive
  BIGNUM* number = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(number, X509_get_serialNumber(certificate.get()));
  BN_free(number);
  const long day = 24L * 3600L;
  X509_gmtime_adj(X509_getm_notBefore(certificate.get()), not_before_days * day - 300);  // allow clock skew
  X509_gmtime_adj(X509_getm_notAfter(certificate.get()), (not_before_days + valid_days) * day);
  X509_set_pubkey(certificate.get(), key);
  X509_NAME* name = X509_get_subject_name(certificate.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("ringsim"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                             -1, 0);
  return certificate;
}

void sign(X509* certificate, EVP_PKEY* key) {
  if (X509_sign(certificate, key, EVP_sha256()) <= 0) throw TlsError("cannot sign certificate: " + openssl_errors());
}

// What every certificate a rank presents carries: not a CA, signs the
// handshake, usable as TLS client and server.
void add_peer_extensions(X509* certificate, X509* issuer) {
  add_extension(certificate, issuer, NID_basic_constraints, "critical,CA:FALSE");
  add_extension(certificate, issuer, NID_key_usage, "critical,digitalSignature");
  add_extension(certificate, issuer, NID_ext_key_usage, "serverAuth,clientAuth");
}

bool is_ip_literal(const std::string& name) {
  in6_addr address{};
  return ::inet_pton(AF_INET, name.c_str(), &address) == 1 || ::inet_pton(AF_INET6, name.c_str(), &address) == 1;
}

}  // namespace

CertifiedKey new_certificate_authority(const std::string& common_name, int valid_days) {
  KeyPtr key = new_key();
  X509Ptr certificate = new_certificate(key.get(), common_name, valid_days, 0);
  X509_set_issuer_name(certificate.get(), X509_get_subject_name(certificate.get()));
  add_extension(certificate.get(), certificate.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
  add_extension(certificate.get(), certificate.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  add_extension(certificate.get(), certificate.get(), NID_subject_key_identifier, "hash");
  sign(certificate.get(), key.get());
  return {std::move(certificate), std::move(key)};
}

CertifiedKey new_host_certificate(X509* ca, EVP_PKEY* ca_key, const std::string& host,
                                  const std::vector<std::string>& extra_names, int valid_days, int not_before_days) {
  KeyPtr key = new_key();
  X509Ptr certificate = new_certificate(key.get(), host, valid_days, not_before_days);
  X509_set_issuer_name(certificate.get(), X509_get_subject_name(ca));
  std::string alt_names;
  std::vector<std::string> names{host};
  names.insert(names.end(), extra_names.begin(), extra_names.end());
  for (const auto& name : names) {
    if (!alt_names.empty()) alt_names += ",";
    alt_names += (is_ip_literal(name) ? "IP:" : "DNS:") + name;
  }
  add_peer_extensions(certificate.get(), ca);
  add_extension(certificate.get(), ca, NID_subject_alt_name, alt_names);
  sign(certificate.get(), ca_key);
  return {std::move(certificate), std::move(key)};
}

CertifiedKey new_self_signed_certificate(const std::string& common_name, int valid_days) {
  KeyPtr key = new_key();
  X509Ptr certificate = new_certificate(key.get(), common_name, valid_days, 0);
  X509_set_issuer_name(certificate.get(), X509_get_subject_name(certificate.get()));
  add_peer_extensions(certificate.get(), certificate.get());
  sign(certificate.get(), key.get());
  return {std::move(certificate), std::move(key)};
}

std::string certificate_fingerprint(X509* certificate) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (X509_digest(certificate, EVP_sha256(), digest, &length) != 1)
    throw TlsError("cannot fingerprint a certificate: " + openssl_errors());
  return to_hex({digest, length});
}

PemPair make_certificate_authority(const std::string& common_name, int valid_days) {
  const CertifiedKey ca = new_certificate_authority(common_name, valid_days);
  return {certificate_pem(ca.certificate.get()), private_key_pem(ca.key.get())};
}

PemPair make_host_certificate(const PemPair& authority, const std::string& host,
                              const std::vector<std::string>& extra_names, int valid_days, int not_before_days) {
  X509Ptr ca = parse_certificate(authority.certificate, "CA certificate");
  KeyPtr ca_key = parse_private_key(authority.private_key, "CA key");
  const CertifiedKey mine =
      new_host_certificate(ca.get(), ca_key.get(), host, extra_names, valid_days, not_before_days);
  return {certificate_pem(mine.certificate.get()), private_key_pem(mine.key.get())};
}

void write_private_file(const std::string& path, const std::string& text) {
  AtomicFile file(path, 0600);
  file.append(text);
  file.commit();
}

std::string read_text_file(const std::string& path, const std::string& what) {
  std::ifstream in(path);
  if (!in) throw TlsError(what + " " + path + " cannot be read");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string write_job_certificates(const std::string& dir, const std::vector<std::string>& hosts, int days,
                                   const std::string& ca_key_path, std::string job) {
  if (days < 1) throw InputError("--days must be >= 1");
  if (job.empty()) {
    unsigned char random[4];
    if (RAND_bytes(random, sizeof random) != 1) throw TlsError("RAND_bytes failed: " + openssl_errors());
    job = "job-" + to_hex(random);
  }
  if (job.size() > 40 ||
      job.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") != std::string::npos)
    throw InputError("--job '" + job + "': up to 40 letters, digits, '-', '_' or '.'");
  ensure_writable_directory(dir);
  const PemPair ca = make_certificate_authority("ringsim job CA " + job, days);
  write_private_file(dir + "/ca.pem", ca.certificate);
  if (!ca_key_path.empty()) write_private_file(ca_key_path, ca.private_key);
  for (const auto& host : hosts) {
    if (host.empty() || host.find('/') != std::string::npos) throw InputError("bad host name '" + host + "'");
    const PemPair pair = make_host_certificate(ca, host, {}, days);
    write_private_file(dir + "/" + host + ".pem", pair.certificate);
    write_private_file(dir + "/" + host + ".key", pair.private_key);
  }
  return job;
}

}  // namespace ringsim
