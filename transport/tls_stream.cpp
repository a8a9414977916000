#include "transport/tls_stream.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <csignal>
#include <mutex>
#include <vector>

#include "common/clock.hpp"
#include "common/errors.hpp"
#include "common/hex.hpp"
#include "transport/certificates.hpp"
#include "transport/fast_gcm.hpp"
#include "transport/openssl_util.hpp"
#include "transport/socket_read_bio.hpp"
#include "transport/tls_record_stream.hpp"

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

namespace {

// Where each SSL object keeps the fingerprint its peer must present.
int pin_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// Replaces chain verification in pinning contexts: the peer's certificate
// must be exactly the one that rank published, and within its validity.
// (TLS 1.3's CertificateVerify then proves the peer holds its key.)
int verify_pinned(X509_STORE_CTX* store, void*) {
  auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  const auto* expected = ssl ? static_cast<const std::string*>(SSL_get_ex_data(ssl, pin_index())) : nullptr;
  X509* presented = X509_STORE_CTX_get0_cert(store);
  if (!expected || !presented || certificate_fingerprint(presented) != *expected) {
    X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
    return 0;
  }
  if (X509_cmp_current_time(X509_get0_notBefore(presented)) >= 0) {
    X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_NOT_YET_VALID);
    return 0;
  }
  if (X509_cmp_current_time(X509_get0_notAfter(presented)) <= 0) {
    X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_HAS_EXPIRED);
    return 0;
  }
  X509_STORE_CTX_set_error(store, X509_V_OK);
  return 1;
}

// Where each SSL object collects its application traffic secrets for the
// record layer.
int secrets_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

struct CapturedSecrets {
  std::vector<unsigned char> client, server;
  ~CapturedSecrets() {
    OPENSSL_cleanse(client.data(), client.size());
    OPENSSL_cleanse(server.data(), server.size());
  }
};

// OpenSSL 3.0 hands out TLS 1.3 traffic secrets only through its key-log
// callback (NSS key log lines, "LABEL <client random> <secret>"); kernel
// TLS gets them internally. The lines stay in this process: they are
// parsed into the connection's CapturedSecrets and never written anywhere.
void capture_secret(const SSL* ssl, const char* line) {
  auto* captured = static_cast<CapturedSecrets*>(SSL_get_ex_data(ssl, secrets_index()));
  if (!captured) return;
  const std::string_view text(line);
  const auto first_space = text.find(' '), last_space = text.rfind(' ');
  if (first_space == std::string_view::npos || last_space == first_space) return;
  const std::string_view label = text.substr(0, first_space), secret = text.substr(last_space + 1);
  if (label == "CLIENT_TRAFFIC_SECRET_0") captured->client = from_hex(secret);
  if (label == "SERVER_TRAFFIC_SECRET_0") captured->server = from_hex(secret);
}

// ringsim's record layer knows the three default TLS 1.3 suites; with any
// other one configured (AES-CCM) OpenSSL keeps the records.
bool all_suites_supported(const std::string& ciphersuites) {
  std::size_t begin = 0;
  for (;;) {
    const std::size_t end = ciphersuites.find(':', begin);
    if (!RecordProtection::supports(ciphersuites.substr(begin, end - begin))) return false;
    if (end == std::string::npos) return true;
    begin = end + 1;
  }
}

}  // namespace

TlsContext::TlsContext(const TlsCredentials& credentials, const std::string& ciphersuites, const std::string& crypto)
    : TlsContext(parse_tls_credentials(credentials), ciphersuites, crypto) {}

TlsContext::TlsContext(const TlsIdentity& identity, const std::string& ciphersuites, const std::string& crypto)
    : crypto_(tls_crypto_description(crypto)),
      own_records_(crypto == "auto" && all_suites_supported(ciphersuites)),
      properties_(tls_property_query(crypto)),
      records_per_key_(kRecordsPerKey) {
  // The property query steers only the record cipher (AES-GCM) to ipsec-mb;
  // certificates, key exchange and the key schedule stay OpenSSL's.
  if (own_records_) crypto_ += ", ringsim record layer";
  SslCtxPtr ctx(SSL_CTX_new_ex(nullptr, properties_.empty() ? nullptr : properties_.c_str(), TLS_method()));
  if (!ctx) throw TlsError("SSL_CTX_new failed: " + openssl_errors());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_3_VERSION);
  SSL_CTX_set_max_proto_version(ctx.get(), TLS1_3_VERSION);
  if (SSL_CTX_set_ciphersuites(ctx.get(), ciphersuites.c_str()) != 1)
    throw TlsError("unknown --tls-ciphersuites '" + ciphersuites + "' (" + openssl_errors() + ")");
  if (identity.ca_certificate) {
    if (X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx.get()), identity.ca_certificate.get()) != 1)
      throw TlsError("cannot trust the CA certificate: " + openssl_errors());
  } else {
    SSL_CTX_set_cert_verify_callback(ctx.get(), &verify_pinned, nullptr);
    fingerprint_ = certificate_fingerprint(identity.certificate.get());
  }
  if (SSL_CTX_use_certificate(ctx.get(), identity.certificate.get()) != 1 ||
      SSL_CTX_use_PrivateKey(ctx.get(), identity.private_key.get()) != 1 || SSL_CTX_check_private_key(ctx.get()) != 1)
    throw TlsError("--tls-key does not match --tls-cert (" + openssl_errors() + ")");
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  SSL_CTX_set_num_tickets(ctx.get(), 0);  // no resumption: nothing unsolicited on the wire after the handshake
  // No partial writes: with them OpenSSL returns after every 16 KiB record,
  // one call per record; without, one call encrypts and sends a whole chunk
  // (or keeps its place and asks to be called again when the socket drains).
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (own_records_) SSL_CTX_set_keylog_callback(ctx.get(), &capture_secret);
  ctx_ = ctx.release();
}

TlsContext::~TlsContext() { SSL_CTX_free(static_cast<SSL_CTX*>(ctx_)); }

namespace {

class TlsStream : public Stream {
 public:
  TlsStream(Socket socket, const TlsContext& context, bool server, const std::string& expected_host, std::string peer,
            const std::string& expected_fingerprint)
      : socket_(std::move(socket)),
        peer_(std::move(peer)),
        expected_fingerprint_(expected_fingerprint),
        checked_first_byte_(!server),
        server_(server),
        own_records_(context.own_records()),
        properties_(context.properties()),
        records_per_key_(context.records_per_key()) {
    RINGSIM_ENFORCE(context.pins_peers() == !expected_fingerprint.empty(),
                    "a pinning TLS context needs the peer's fingerprint, and only it");
    set_nonblocking(socket_.fd());
    ssl_.reset(SSL_new(static_cast<SSL_CTX*>(context.native())));
    if (!ssl_) throw TlsError("SSL_new failed: " + openssl_errors());
    // Records are written through a 256 KiB buffer and flushed once per
    // chunk: one send(2) per 16 records instead of one per record, which on
    // a virtual machine (expensive system calls) is most of the difference.
    // They are read through a 256 KiB buffer too (socket_read_bio.hpp).
    BIO* read_bio = new_socket_read_bio(socket_.fd(), 256 << 10, &times_.socket_read_seconds);  // (may throw)
    BIO* socket_bio = BIO_new_socket(socket_.fd(), BIO_NOCLOSE);
    BIO* buffer_bio = BIO_new(BIO_f_buffer());
    if (!socket_bio || !buffer_bio || !read_bio) throw TlsError("BIO_new failed: " + openssl_errors());
    BIO_set_write_buffer_size(buffer_bio, 256 << 10);
    SSL_set_bio(ssl_.get(), read_bio, BIO_push(buffer_bio, socket_bio));
    if (SSL_set1_host(ssl_.get(), expected_host.c_str()) != 1) throw TlsError("SSL_set1_host failed");
    SSL_set_ex_data(ssl_.get(), pin_index(), const_cast<std::string*>(&expected_fingerprint_));  // read only
    if (own_records_) SSL_set_ex_data(ssl_.get(), secrets_index(), &secrets_);
    if (server)
      SSL_set_accept_state(ssl_.get());
    else
      SSL_set_connect_state(ssl_.get());
    // Time spent inside send(2), so encryption can be told apart.
    BIO_set_callback_arg(socket_bio, reinterpret_cast<char*>(this));
    BIO_set_callback_ex(socket_bio, &TlsStream::on_bio);
  }

  int fd() const override { return socket_.fd(); }
  std::string cipher_suite() const override { return SSL_get_cipher_name(ssl_.get()); }

  Want handshake_step() override {
    if (!checked_first_byte_) {
      // A server first checks that the peer opens with a TLS handshake
      // record (type 22), so a plaintext peer gets a clear refusal.
      unsigned char first = 0;
      const ssize_t n = ::recv(socket_.fd(), &first, 1, MSG_PEEK);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return Want::Read;
      if (n <= 0) throw TlsError("TLS handshake with " + peer_ + " failed: connection closed before the handshake");
      if (first != 0x16)
        throw TlsError("TLS handshake with " + peer_ +
                       " failed: the peer is not speaking TLS (plaintext connection refused)");
      checked_first_byte_ = true;
    }
    const int result = SSL_do_handshake(ssl_.get());
    if (result == 1) {
      if (own_records_) take_over_records();
      return Want::Nothing;
    }
    const int error = SSL_get_error(ssl_.get(), result);
    if (error == SSL_ERROR_WANT_READ) return Want::Read;
    if (error == SSL_ERROR_WANT_WRITE) return Want::Write;
    std::string reason = openssl_errors();
    const long verify = SSL_get_verify_result(ssl_.get());
    if (verify != X509_V_OK) reason += std::string(" (") + X509_verify_cert_error_string(verify) + ")";
    if (reason.empty())
      reason = error == SSL_ERROR_SYSCALL ? "connection closed during the handshake" : "unknown error";
    throw TlsError("TLS handshake with " + peer_ + " failed: " + reason);
  }

  IoStep write_some(std::span<const std::byte> bytes) override {
    if (records_) return records_->write_some(bytes);
    if (unflushed_) {
      // Records already encrypted for the last chunk still sit in the buffer.
      if (!flush()) return {0, Want::Write};
      const std::size_t done = unflushed_;
      unflushed_ = 0;
      return {done, Want::Nothing};
    }
    std::size_t written = 0;
    const double socket_before = times_.socket_write_seconds;
    const double started = now_seconds();
    const int result = SSL_write_ex(ssl_.get(), bytes.data(), bytes.size(), &written);
    times_.encrypt_seconds += now_seconds() - started - (times_.socket_write_seconds - socket_before);
    if (result != 1) return {0, classify(result, "sending to")};
    // Report the bytes only once they have left the buffer for the socket.
    if (!flush()) {
      unflushed_ = written;
      return {0, Want::Write};
    }
    return {written, Want::Nothing};
  }

  IoStep read_some(std::span<std::byte> bytes) override {
    if (records_) return records_->read_some(bytes);
    std::size_t read = 0;
    const double socket_before = times_.socket_read_seconds;
    const double started = now_seconds();
    const int result = SSL_read_ex(ssl_.get(), bytes.data(), bytes.size(), &read);
    times_.decrypt_seconds += now_seconds() - started - (times_.socket_read_seconds - socket_before);
    if (result == 1) return {read, Want::Nothing};
    return {0, classify(result, "receiving from")};
  }

 private:
  // From here on ringsim seals and opens the records (tls_records.hpp).
  void take_over_records() {
    // (The context takes over only when every configured suite is known.)
    const std::string suite = SSL_CIPHER_get_name(SSL_get_current_cipher(ssl_.get()));
    // Nothing may be left half-done inside OpenSSL: no buffered plaintext,
    // no unsent handshake bytes (the peer's next records are in the reader).
    if (SSL_has_pending(ssl_.get()) || BIO_wpending(SSL_get_wbio(ssl_.get())) > 0)
      throw TlsError("TLS handshake with " + peer_ + " left data inside OpenSSL; cannot take over the records");
    if (secrets_.client.empty() || secrets_.server.empty())
      throw TlsError("TLS handshake with " + peer_ + ": OpenSSL did not hand out the traffic secrets");
    TrafficSecrets secrets{server_ ? secrets_.server : secrets_.client, server_ ? secrets_.client : secrets_.server};
    records_ = std::make_unique<TlsRecordStream>(socket_.fd(), socket_reader_of(SSL_get_rbio(ssl_.get())), suite,
                                                 secrets, properties_, records_per_key_, peer_, times_);
    for (auto* secret : {&secrets.mine, &secrets.theirs, &secrets_.client, &secrets_.server})
      OPENSSL_cleanse(secret->data(), secret->size());
  }

  Want classify(int result, const char* direction) {
    const int error = SSL_get_error(ssl_.get(), result);
    if (error == SSL_ERROR_WANT_READ) return Want::Read;
    if (error == SSL_ERROR_WANT_WRITE) return Want::Write;
    if (error == SSL_ERROR_ZERO_RETURN) throw PeerClosedError(peer_ + " closed the TLS connection");
    const std::string reason = openssl_errors();
    if ((error == SSL_ERROR_SYSCALL && reason.empty()) || reason.find("unexpected eof") != std::string::npos)
      throw PeerClosedError(peer_ + " closed the connection (did it fail or exit?)");
    throw TlsError(std::string("TLS error ") + direction + " " + peer_ + ": " +
                   (reason.empty() ? "unknown error" : reason));
  }

  static long on_bio(BIO* bio, int operation, const char*, size_t, int, long, int ret, size_t*) {
    auto* self = reinterpret_cast<TlsStream*>(BIO_get_callback_arg(bio));
    // Only writes pass through this BIO (reads go through the read BIO,
    // which times its own recv calls).
    if ((operation & ~BIO_CB_RETURN) != BIO_CB_WRITE) return ret;
    if (!(operation & BIO_CB_RETURN))
      self->socket_call_started_ = now_seconds();
    else
      self->times_.socket_write_seconds += now_seconds() - self->socket_call_started_;
    return ret;
  }

  bool flush() {
    BIO* out = SSL_get_wbio(ssl_.get());
    if (BIO_flush(out) == 1) return true;
    if (BIO_should_retry(out)) return false;
    throw IoError(peer_ + " closed the connection while sending (" + openssl_errors() + ")");
  }

  Socket socket_;
  SslPtr ssl_;
  std::size_t unflushed_ = 0;  // bytes accepted by SSL_write still in the write buffer
  std::string peer_;
  const std::string expected_fingerprint_;  // pinned peer certificate, or empty
  double socket_call_started_ = 0;
  bool checked_first_byte_;
  const bool server_;
  const bool own_records_;
  const std::string properties_;
  const std::uint64_t records_per_key_;
  CapturedSecrets secrets_;                  // filled during the handshake (own records)
  std::unique_ptr<TlsRecordStream> records_;  // after the handshake (own records)
};

}  // namespace

void warm_up_tls(const std::string& crypto) {
  // OpenSSL 3.0 fetches each algorithm, encoder and decoder from its
  // providers the first time it is used (and again for a new property
  // query): about 7 ms here. A throwaway CA, certificate and a complete
  // handshake over an in-memory BIO pair pay all of it in advance.
  try {
    // (make_host_certificate's PEM round trip warms the decoders that
    // --tls-ca/--tls-cert/--tls-key files go through.)
    const PemPair authority = make_certificate_authority("ringsim warm-up", 1);
    const PemPair host = make_host_certificate(authority, "warm-up", {}, 1);
    const TlsContext context(TlsCredentials{authority.certificate, host.certificate, host.private_key},
                             "TLS_AES_128_GCM_SHA256", crypto);
    SslPtr client(SSL_new(static_cast<SSL_CTX*>(context.native())));
    SslPtr server(SSL_new(static_cast<SSL_CTX*>(context.native())));
    BIO *client_end = nullptr, *server_end = nullptr;
    if (!client || !server || BIO_new_bio_pair(&client_end, 0, &server_end, 0) != 1) return;
    SSL_set_bio(client.get(), client_end, client_end);
    SSL_set_bio(server.get(), server_end, server_end);
    SSL_set1_host(client.get(), "warm-up");
    SSL_set_connect_state(client.get());
    SSL_set_accept_state(server.get());
    for (int round = 0; round < 8 && !(SSL_is_init_finished(client.get()) && SSL_is_init_finished(server.get()));
         ++round) {
      SSL_do_handshake(client.get());
      SSL_do_handshake(server.get());
    }
    // One record each way warms the record cipher too, and for ringsim's
    // record layer its key schedule (HKDF) and cipher fetches.
    const char byte = 0;
    char got = 0;
    std::size_t moved = 0;
    if (SSL_write_ex(client.get(), &byte, 1, &moved) == 1) SSL_read_ex(server.get(), &got, 1, &moved);
    if (context.own_records()) {
      const std::vector<unsigned char> secret(32, 1);
      RecordProtection sealer("TLS_AES_128_GCM_SHA256", secret, context.properties()),
          opener("TLS_AES_128_GCM_SHA256", secret, context.properties());
      std::byte record[1 + kRecordOverhead], opened[1 + kRecordOverhead];
      const std::size_t sealed = sealer.seal(ContentType::ApplicationData, {}, record);
      opener.open({reinterpret_cast<unsigned char*>(record), sealed}, opened, "warm-up");
    }
  } catch (const Error&) {
    // A warm-up only; the real set-up reports any problem.
  }
  ERR_clear_error();
}

std::unique_ptr<Stream> make_tls_stream(Socket socket, const TlsContext& context, bool server,
                                        const std::string& expected_host, std::string peer,
                                        const std::string& expected_fingerprint) {
  // OpenSSL's socket BIO writes with write(2), not send(MSG_NOSIGNAL): an
  // alert sent to a peer that already closed would raise SIGPIPE and kill
  // the process instead of failing the call with EPIPE and a clear error.
  static std::once_flag ignore_sigpipe;
  std::call_once(ignore_sigpipe, [] { std::signal(SIGPIPE, SIG_IGN); });
  return std::make_unique<TlsStream>(std::move(socket), context, server, expected_host, std::move(peer),
                                     expected_fingerprint);
}

}  // namespace ringsim
