#include "net/tls_context.hpp"

#include "common/errors.hpp"
#include "common/host.hpp"
#include "net/certificates.hpp"
#include "net/kernel_tls.hpp"
#include "net/peer_verification.hpp"
#include "net/preshared_key.hpp"

namespace ringsim {

TlsIdentity parse_tls_credentials(const TlsCredentials& credentials) {
  return {parse_certificate(credentials.ca_certificate, "--tls-ca"),
          parse_certificate(credentials.certificate, "--tls-cert"),
          parse_private_key(credentials.private_key, "--tls-key")};
}

TlsIdentity new_ephemeral_identity() {
  CertifiedKey mine = new_self_signed_certificate("ringsim ephemeral peer", 2);
  return {nullptr, std::move(mine.certificate), std::move(mine.key)};
}
TlsContext::TlsContext(const TlsCredentials& credentials, const std::string& ciphersuites, const std::string& records,
                       std::string own_host)
    : TlsContext(parse_tls_credentials(credentials), ciphersuites, records, std::move(own_host)) {}

TlsContext::TlsContext(const TlsIdentity& identity, const std::string& ciphersuites, const std::string& records,
                       std::string own_host)
    : own_host_(own_host.empty() ? identity_host() : std::move(own_host)) {
  if (records != "auto" && records != "openssl")
    throw InputError(
        "--tls-crypto must be auto (OpenSSL, with kernel TLS where offered) or openssl (OpenSSL in "
        "user space only), not '" +
        records + "'");
  tries_kernel_tls_ = records == "auto" && kernel_offers_tls();
  SslCtxPtr ctx(SSL_CTX_new_ex(nullptr, kTlsPropertyQuery, TLS_method()));
  if (!ctx) throw TlsError("SSL_CTX_new failed: " + openssl_errors());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_3_VERSION);
  SSL_CTX_set_max_proto_version(ctx.get(), TLS1_3_VERSION);
  if (SSL_CTX_set_ciphersuites(ctx.get(), ciphersuites.c_str()) != 1)
    throw TlsError("unknown --tls-ciphersuites '" + ciphersuites + "' (" + openssl_errors() + ")");
  if (identity.ca_certificate) {
    if (X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx.get()), identity.ca_certificate.get()) != 1)
      throw TlsError("cannot trust the CA certificate: " + openssl_errors());
  } else {
    SSL_CTX_set_cert_verify_callback(ctx.get(), &pinned_verify_callback, nullptr);
    fingerprint_ = certificate_fingerprint(identity.certificate.get());
  }
  if (SSL_CTX_use_certificate(ctx.get(), identity.certificate.get()) != 1 ||
      SSL_CTX_use_PrivateKey(ctx.get(), identity.private_key.get()) != 1 || SSL_CTX_check_private_key(ctx.get()) != 1)
    throw TlsError("--tls-key does not match --tls-cert (" + openssl_errors() + ")");
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, &peer_verify_callback);
  SSL_CTX_set_info_callback(ctx.get(), &peer_info_callback);
  SSL_CTX_set_num_tickets(ctx.get(), 0);  // no resumption: nothing unsolicited on the wire after the handshake
  // No partial writes: with them OpenSSL returns after every 16 KiB record,
  // one call per record; without, one call encrypts and sends a whole chunk
  // (or keeps its place and asks to be called again when the socket drains).
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (tries_kernel_tls_) SSL_CTX_set_options(ctx.get(), SSL_OP_ENABLE_KTLS);
  ctx_ = ctx.release();
}

TlsContext::TlsContext(const PresharedKey& key, std::string own_host)
    : own_host_(std::move(own_host)), psk_(std::make_unique<PresharedKey>(key)) {
  SslCtxPtr ctx(SSL_CTX_new_ex(nullptr, kTlsPropertyQuery, TLS_method()));
  if (!ctx) throw TlsError("SSL_CTX_new failed: " + openssl_errors());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_3_VERSION);
  SSL_CTX_set_max_proto_version(ctx.get(), TLS1_3_VERSION);
  if (SSL_CTX_set_ciphersuites(ctx.get(), "TLS_AES_128_GCM_SHA256") != 1)
    throw TlsError("TLS_AES_128_GCM_SHA256 is not available: " + openssl_errors());
  // No certificate of this side's, and an empty trust store: a peer that
  // answers with a certificate instead of the key is refused.
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  SSL_CTX_set_info_callback(ctx.get(), &peer_info_callback);
  SSL_CTX_set_num_tickets(ctx.get(), 0);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  use_preshared_key(ctx.get(), psk_.get());
  pipelined_sending_ = pipelined_receiving_ = false;  // small control messages only
  ctx_ = ctx.release();
}

TlsContext::~TlsContext() { SSL_CTX_free(static_cast<SSL_CTX*>(ctx_)); }

void TlsContext::try_kernel_tls_anyway() {
  tries_kernel_tls_ = true;
  SSL_CTX_set_options(static_cast<SSL_CTX*>(ctx_), SSL_OP_ENABLE_KTLS);
}

void warm_up_tls() {
  // OpenSSL 3.0 fetches each algorithm, encoder and decoder from its
  // providers the first time it is used (and again for a new property
  // query): about 7 ms here. A throwaway CA, certificate and a complete
  // handshake over an in-memory BIO pair pay all of it in advance.
  try {
    kernel_offers_tls();  // probed once; costs a loopback connection
    // (make_host_certificate's PEM round trip warms the decoders that
    // --tls-ca/--tls-cert/--tls-key files go through.)
    const PemPair authority = make_certificate_authority("ringsim warm-up", 1);
    const PemPair host = make_host_certificate(authority, "warm-up", {}, 1);
    const TlsContext context(TlsCredentials{authority.certificate, host.certificate, host.private_key},
                             "TLS_AES_128_GCM_SHA256", "openssl", "warm-up");
    SslPtr client(SSL_new(static_cast<SSL_CTX*>(context.native())));
    SslPtr server(SSL_new(static_cast<SSL_CTX*>(context.native())));
    BIO *client_end = nullptr, *server_end = nullptr;
    if (!client || !server || BIO_new_bio_pair(&client_end, 0, &server_end, 0) != 1) return;
    SSL_set_bio(client.get(), client_end, client_end);
    SSL_set_bio(server.get(), server_end, server_end);
    SSL_set1_host(client.get(), "warm-up");
    SSL_set1_host(server.get(), "warm-up");
    SSL_set_connect_state(client.get());
    SSL_set_accept_state(server.get());
    for (int round = 0; round < 8 && !(SSL_is_init_finished(client.get()) && SSL_is_init_finished(server.get()));
         ++round) {
      SSL_do_handshake(client.get());
      SSL_do_handshake(server.get());
    }
    // One record each way warms the record cipher too.
    const char byte = 0;
    char got = 0;
    std::size_t moved = 0;
    if (SSL_write_ex(client.get(), &byte, 1, &moved) == 1) SSL_read_ex(server.get(), &got, 1, &moved);
  } catch (const Error&) {
    // A warm-up only; the real set-up reports any problem.
  }
  ERR_clear_error();
}

}  // namespace ringsim
