#include "net/preshared_key.hpp"

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/ssl.h>

#include <cstring>

#include "common/errors.hpp"
#include "net/openssl_util.hpp"

namespace ringsim {

namespace {

int psk_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

const PresharedKey* psk_of(SSL* ssl) {
  return static_cast<const PresharedKey*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), psk_index()));
}

// TLS_AES_128_GCM_SHA256, the one suite both sides offer: its hash is the
// one the PSK is bound to.
const SSL_CIPHER* psk_cipher(SSL* ssl) {
  static const unsigned char id[2] = {0x13, 0x01};
  return SSL_CIPHER_find(ssl, id);
}

SSL_SESSION* new_psk_session(SSL* ssl, const PresharedKey& psk) {
  SSL_SESSION* session = SSL_SESSION_new();
  const SSL_CIPHER* cipher = psk_cipher(ssl);
  if (!session || !cipher || SSL_SESSION_set1_master_key(session, psk.key.data(), psk.key.size()) != 1 ||
      SSL_SESSION_set_cipher(session, cipher) != 1 || SSL_SESSION_set_protocol_version(session, TLS1_3_VERSION) != 1 ||
      SSL_SESSION_set1_id_context(session, reinterpret_cast<const unsigned char*>("ringsim-psk"), 11) != 1) {
    SSL_SESSION_free(session);
    return nullptr;
  }
  return session;
}

// Client: offer the PSK (md is null for the first ClientHello, the suite's
// hash after a HelloRetryRequest).
int use_session(SSL* ssl, const EVP_MD* md, const unsigned char** id, std::size_t* id_length, SSL_SESSION** session) {
  const PresharedKey* psk = psk_of(ssl);
  *session = nullptr;
  if (!psk) return 0;
  const SSL_CIPHER* cipher = psk_cipher(ssl);
  if (!cipher || (md && SSL_CIPHER_get_handshake_digest(cipher) != md)) return 0;
  *session = new_psk_session(ssl, *psk);
  if (!*session) return 0;
  *id = reinterpret_cast<const unsigned char*>(psk->identity.data());
  *id_length = psk->identity.size();
  return 1;
}

// Server: the PSK for the identity the client named, or none (then the
// handshake fails: this side has no certificate to fall back on).
int find_session(SSL* ssl, const unsigned char* id, std::size_t id_length, SSL_SESSION** session) {
  const PresharedKey* psk = psk_of(ssl);
  *session = nullptr;
  if (!psk || id_length != psk->identity.size() || std::memcmp(id, psk->identity.data(), id_length) != 0) return 1;
  *session = new_psk_session(ssl, *psk);
  return *session ? 1 : 0;
}

}  // namespace

std::vector<unsigned char> derive_job_key(const std::string& secret, const std::string& purpose) {
  if (secret.size() < 32)
    throw InputError("the job secret has " + std::to_string(secret.size()) +
                     " characters; it needs at least 32 (make one with: python3 -c 'import secrets; "
                     "print(secrets.token_hex(32))')");
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  EVP_KDF_CTX* ctx = kdf ? EVP_KDF_CTX_new(kdf) : nullptr;
  EVP_KDF_free(kdf);
  if (!ctx) throw TlsError("HKDF is not available: " + openssl_errors());
  static const char salt[] = "ringsim job secret v1";
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<char*>(secret.data()), secret.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<char*>(salt), sizeof salt - 1),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<char*>(purpose.data()), purpose.size()),
      OSSL_PARAM_construct_end()};
  std::vector<unsigned char> key(32);
  const int ok = EVP_KDF_derive(ctx, key.data(), key.size(), params);
  EVP_KDF_CTX_free(ctx);
  if (ok != 1) throw TlsError("HKDF failed: " + openssl_errors());
  return key;
}

void use_preshared_key(void* ssl_ctx, const PresharedKey* psk) {
  auto* ctx = static_cast<SSL_CTX*>(ssl_ctx);
  SSL_CTX_set_ex_data(ctx, psk_index(), const_cast<PresharedKey*>(psk));
  // OpenSSL takes the PSK for a resumed session, which (peers being
  // verified) must carry a session id context; the identity serves.
  static const unsigned char context[] = "ringsim-psk";
  SSL_CTX_set_session_id_context(ctx, context, sizeof context - 1);
  SSL_CTX_set_psk_use_session_callback(ctx, &use_session);
  SSL_CTX_set_psk_find_session_callback(ctx, &find_session);
}

}  // namespace ringsim
