#pragma once
// Small RAII and error helpers over OpenSSL's C API.
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

namespace ringsim {

struct OpenSslFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(BIO* p) const { BIO_free_all(p); }
  void operator()(SSL_CTX* p) const { SSL_CTX_free(p); }
  void operator()(SSL* p) const { SSL_free(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, OpenSslFree>;
using X509Ptr = std::unique_ptr<X509, OpenSslFree>;
using BioPtr = std::unique_ptr<BIO, OpenSslFree>;
using SslCtxPtr = std::unique_ptr<SSL_CTX, OpenSslFree>;
using SslPtr = std::unique_ptr<SSL, OpenSslFree>;

// Drains OpenSSL's error queue into one line ("" if empty).
std::string openssl_errors();

X509Ptr parse_certificate(const std::string& pem, const std::string& what);
KeyPtr parse_private_key(const std::string& pem, const std::string& what);
std::string certificate_pem(X509* certificate);
std::string private_key_pem(EVP_PKEY* key);

}  // namespace ringsim
