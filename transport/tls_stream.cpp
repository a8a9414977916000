#include "transport/tls_stream.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/crypto.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <ctime>
#include <mutex>
#include <vector>

#include "common/clock.hpp"
#include "common/errors.hpp"
#include "common/host.hpp"
#include "transport/certificates.hpp"
#include "transport/openssl_util.hpp"
#include "transport/preshared_key.hpp"
#include "transport/socket_read_bio.hpp"

#ifndef TCP_ULP
#define TCP_ULP 31  // linux/tcp.h; older libc headers lack it
#endif

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

// TLS record content types, as the first byte of a record.
constexpr unsigned char kAlertRecord = 0x15, kHandshakeRecord = 0x16;
// Sent by the server once it has accepted the client's certificate. In TLS
// 1.3 the client finishes its handshake before the server has checked the
// client's certificate; waiting for this byte lets the client learn of a
// refusal (the alert) during set-up instead of on its first read.
constexpr unsigned char kAccepted = 0x01;
constexpr std::size_t kMaxRecord = 16384;  // plaintext bytes per TLS record

// "2026-12-01 13:00:00 UTC"
std::string format_time(const ASN1_TIME* time) {
  std::tm tm{};
  if (!time || ASN1_TIME_to_tm(time, &tm) != 1) return "an unreadable date";
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return text;
}

// The host names a certificate is for: its subjectAltName DNS and IP
// entries, else its common name; "a or b".
std::string certificate_hosts(X509* certificate) {
  std::string names;
  const auto add = [&](const std::string& name) { names += (names.empty() ? "" : " or ") + name; };
  auto* alt_names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; alt_names && i < sk_GENERAL_NAME_num(alt_names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(alt_names, i);
    if (name->type == GEN_DNS) {
      add(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(name->d.dNSName)),
                      static_cast<std::size_t>(ASN1_STRING_length(name->d.dNSName))));
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
    X509_NAME_get_text_by_NID(X509_get_subject_name(certificate), NID_commonName, common_name, sizeof common_name);
    add(common_name[0] ? common_name : "(no name)");
  }
  return names;
}

// What one connection's certificate check found, and what the peer said.
struct PeerCheck {
  std::string expected_host;
  std::string expected_fingerprint;  // pinning contexts
  std::string refusal;               // why this side refused the peer's certificate
  int alert = -1;                    // the alert the peer sent, if any
};

int check_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

PeerCheck* check_of(const SSL* ssl) { return static_cast<PeerCheck*>(SSL_get_ex_data(ssl, check_index())); }
PeerCheck* check_of(X509_STORE_CTX* store) {
  auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  return ssl ? check_of(ssl) : nullptr;
}

// " (issued by NAME)", the common name of the certificate's issuer (a job
// CA names its job), or "".
std::string issuer_of(X509* certificate) {
  char name[256] = "";
  if (!certificate ||
      X509_NAME_get_text_by_NID(X509_get_issuer_name(certificate), NID_commonName, name, sizeof name) <= 0)
    return "";
  return std::string(" (issued by '") + name + "')";
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

// CA contexts: OpenSSL verifies the chain and the host name; this records
// the first failure in words (the alert the peer gets is coarser).
int on_verify(int ok, X509_STORE_CTX* store) {
  PeerCheck* check = check_of(store);
  if (!ok && check && check->refusal.empty())
    check->refusal = describe_refusal(X509_STORE_CTX_get_error(store), X509_STORE_CTX_get_current_cert(store),
                                      X509_STORE_CTX_get0_cert(store), check->expected_host);
  return ok;
}

// Replaces chain verification in pinning contexts: the peer's certificate
// must be exactly the one that rank published, and within its validity.
// (TLS 1.3's CertificateVerify then proves the peer holds its key.)
int verify_pinned(X509_STORE_CTX* store, void*) {
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

// Remembers the alert a peer sends (its reason for refusing us).
void on_info(const SSL* ssl, int where, int value) {
  if (!(where & SSL_CB_READ_ALERT)) return;
  if (PeerCheck* check = check_of(ssl); check && check->alert < 0) check->alert = value & 0xff;
}

bool probe_kernel_tls() {
  const auto close_all = [](std::initializer_list<int> fds) {
    for (int fd : fds)
      if (fd >= 0) ::close(fd);
  };
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), client = -1, accepted = -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  bool offered = false;
  if (listener >= 0 && ::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::listen(listener, 1) == 0 && ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) == 0 &&
      (client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0 &&
      ::connect(client, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      (accepted = ::accept(listener, nullptr, nullptr)) >= 0)
    offered = ::setsockopt(client, IPPROTO_TCP, TCP_ULP, "tls", sizeof "tls") == 0;
  close_all({listener, client, accepted});
  return offered;
}

}  // namespace

bool kernel_offers_tls() {
  static const bool offered = probe_kernel_tls();
  return offered;
}

std::string describe_tls_records(bool kernel_send, bool kernel_receive) {
  std::string text = std::string(OpenSSL_version(OPENSSL_VERSION)) + " record layer";
  if (kernel_send || kernel_receive)
    text += std::string("; kernel TLS: ") + (kernel_send && kernel_receive ? "send and receive"
                                             : kernel_send                 ? "send"
                                                                           : "receive");
  return text;
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
    SSL_CTX_set_cert_verify_callback(ctx.get(), &verify_pinned, nullptr);
    fingerprint_ = certificate_fingerprint(identity.certificate.get());
  }
  if (SSL_CTX_use_certificate(ctx.get(), identity.certificate.get()) != 1 ||
      SSL_CTX_use_PrivateKey(ctx.get(), identity.private_key.get()) != 1 || SSL_CTX_check_private_key(ctx.get()) != 1)
    throw TlsError("--tls-key does not match --tls-cert (" + openssl_errors() + ")");
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, &on_verify);
  SSL_CTX_set_info_callback(ctx.get(), &on_info);
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
  SSL_CTX_set_info_callback(ctx.get(), &on_info);
  SSL_CTX_set_num_tickets(ctx.get(), 0);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  use_preshared_key(ctx.get(), psk_.get());
  ctx_ = ctx.release();
}

TlsContext::~TlsContext() { SSL_CTX_free(static_cast<SSL_CTX*>(ctx_)); }

void TlsContext::try_kernel_tls_anyway() {
  tries_kernel_tls_ = true;
  SSL_CTX_set_options(static_cast<SSL_CTX*>(ctx_), SSL_OP_ENABLE_KTLS);
}

namespace {

class TlsStream : public Stream {
 public:
  TlsStream(Socket socket, const TlsContext& context, bool server, const std::string& expected_host, std::string peer,
            const std::string& expected_fingerprint)
      : socket_(std::move(socket)),
        peer_(std::move(peer)),
        own_host_(context.own_host()),
        pinned_(context.pins_peers()),
        preshared_(context.uses_preshared_key()),
        server_(server),
        records_per_key_(context.records_per_key()) {
    RINGSIM_ENFORCE(context.pins_peers() == !expected_fingerprint.empty(),
                    "a pinning TLS context needs the peer's fingerprint, and only it");
    check_.expected_host = expected_host;
    check_.expected_fingerprint = expected_fingerprint;
    set_nonblocking(socket_.fd());
    ssl_.reset(SSL_new(static_cast<SSL_CTX*>(context.native())));
    if (!ssl_) throw TlsError("SSL_new failed: " + openssl_errors());
    BIO* socket_bio = BIO_new_socket(socket_.fd(), BIO_NOCLOSE);
    if (!socket_bio) throw TlsError("BIO_new failed: " + openssl_errors());
    if (context.tries_kernel_tls()) {
      // kTLS needs OpenSSL's socket BIO on both sides of the SSL object:
      // OpenSSL hands it the keys and then reads and writes the socket
      // directly (records the kernel cannot take stay OpenSSL's).
      SSL_set_bio(ssl_.get(), socket_bio, socket_bio);
      times_socket_reads_ = true;
    } else {
      // Records are written through a 256 KiB buffer and flushed once per
      // chunk: one send(2) per 16 records instead of one per record, which on
      // a virtual machine (expensive system calls) is most of the difference.
      // They are read through a 256 KiB buffer too (socket_read_bio.hpp).
      BIO* read_bio = nullptr;
      try {
        read_bio = new_socket_read_bio(socket_.fd(), 256 << 10, &times_.socket_read_seconds);
      } catch (...) {
        BIO_free(socket_bio);
        throw;
      }
      BIO* buffer_bio = BIO_new(BIO_f_buffer());
      if (!buffer_bio || !read_bio) {
        BIO_free(socket_bio);
        BIO_free(buffer_bio);
        BIO_free(read_bio);
        throw TlsError("BIO_new failed: " + openssl_errors());
      }
      BIO_set_write_buffer_size(buffer_bio, 256 << 10);
      SSL_set_bio(ssl_.get(), read_bio, BIO_push(buffer_bio, socket_bio));
      reader_ = &socket_reader_of(read_bio);
    }
    if (SSL_set1_host(ssl_.get(), expected_host.c_str()) != 1) throw TlsError("SSL_set1_host failed");
    SSL_set_ex_data(ssl_.get(), check_index(), &check_);
    if (server)
      SSL_set_accept_state(ssl_.get());
    else
      SSL_set_connect_state(ssl_.get());
    // Time spent inside the socket calls, so encryption can be told apart.
    BIO_set_callback_arg(socket_bio, reinterpret_cast<char*>(this));
    BIO_set_callback_ex(socket_bio, &TlsStream::on_bio);
  }

  int fd() const override { return socket_.fd(); }
  std::string cipher_suite() const override { return SSL_get_cipher_name(ssl_.get()); }
  bool kernel_tls_send() const override { return kernel_send_; }
  bool kernel_tls_receive() const override { return kernel_receive_; }
  std::uint64_t key_updates() const override { return key_updates_; }

  Want handshake_step() override {
    if (server_ && !checked_first_byte_) {
      // A server first checks that the peer opens with a TLS handshake
      // record, so a plaintext peer gets a clear refusal; it is told so with
      // a (clear-text) TLS alert, which a plain ringsim peer recognises.
      unsigned char first = 0;
      const ssize_t n = ::recv(socket_.fd(), &first, 1, MSG_PEEK);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return Want::Read;
      if (n <= 0) throw TlsError("TLS handshake with " + peer_ + " failed: connection closed before the handshake");
      if (first != kHandshakeRecord) {
        [[maybe_unused]] const ssize_t ignored =
            ::send(socket_.fd(), kPlaintextAlert, sizeof kPlaintextAlert, MSG_NOSIGNAL);
        throw TlsError("TLS: refused " + peer_ + ": peer spoke plaintext (it does not run --transport tls)");
      }
      checked_first_byte_ = true;
    }
    if (!handshake_done_) {
      const int result = SSL_do_handshake(ssl_.get());
      if (result != 1) return handshake_want(result);
      handshake_done_ = true;
      kernel_send_ = BIO_get_ktls_send(SSL_get_wbio(ssl_.get()));
      kernel_receive_ = BIO_get_ktls_recv(SSL_get_rbio(ssl_.get()));
    }
    if (server_) {
      if (!accepted_sent_) {
        std::size_t written = 0;
        const int result = SSL_write_ex(ssl_.get(), &kAccepted, 1, &written);
        if (result != 1) return handshake_want(result);
        accepted_sent_ = true;
      }
      return flush() ? Want::Nothing : Want::Write;
    }
    unsigned char answer = 0;
    std::size_t read = 0;
    const int result = SSL_read_ex(ssl_.get(), &answer, 1, &read);
    if (result != 1) return handshake_want(result);
    if (answer != kAccepted)
      throw TlsError("TLS handshake with " + peer_ + " failed: unexpected first byte " + std::to_string(answer) +
                     " (is it an older ringsim?)");
    return Want::Nothing;
  }

  IoStep write_some(std::span<const std::byte> bytes) override {
    if (unflushed_) {
      // Records already encrypted for the last chunk still sit in the buffer.
      if (!flush()) return {0, Want::Write};
      const std::size_t done = unflushed_;
      unflushed_ = 0;
      return {done, Want::Nothing};
    }
    // OpenSSL 3.0 does not change keys by itself: a fresh one (KeyUpdate,
    // sent ahead of the next record) long before AES-GCM's limit per key.
    if (records_with_key_ >= records_per_key_ && !write_pending_ && kernel_send_) {
      // OpenSSL 3.0 cannot hand the kernel a new key; stop before AES-GCM's
      // limit per key instead (2^24 records: 256 GiB on this connection).
      if (records_with_key_ >= 2 * records_per_key_)
        throw TlsError("TLS to " + peer_ + ": sent " + std::to_string(records_with_key_) +
                       " records with one key under kernel TLS, which cannot change keys; rerun with "
                       "--tls-crypto openssl");
    } else if (records_with_key_ >= records_per_key_ && !write_pending_) {
      if (SSL_key_update(ssl_.get(), SSL_KEY_UPDATE_NOT_REQUESTED) != 1)
        throw TlsError("TLS KeyUpdate towards " + peer_ + " failed: " + openssl_errors());
      records_with_key_ = 0;
      ++key_updates_;
    }
    std::size_t written = 0;
    const double socket_before = times_.socket_write_seconds;
    const double started = now_seconds();
    const int result = SSL_write_ex(ssl_.get(), bytes.data(), bytes.size(), &written);
    times_.encrypt_seconds += now_seconds() - started - (times_.socket_write_seconds - socket_before);
    write_pending_ = result != 1;  // (retried with the same bytes; no KeyUpdate in between)
    if (result != 1) return {0, classify(result, "sending to")};
    records_with_key_ += (written + kMaxRecord - 1) / kMaxRecord;
    // Report the bytes only once they have left the buffer for the socket.
    if (!flush()) {
      unflushed_ = written;
      return {0, Want::Write};
    }
    return {written, Want::Nothing};
  }

  IoStep read_some(std::span<std::byte> bytes) override {
    std::size_t read = 0;
    const double socket_before = times_.socket_read_seconds;
    const double started = now_seconds();
    const int result = SSL_read_ex(ssl_.get(), bytes.data(), bytes.size(), &read);
    times_.decrypt_seconds += now_seconds() - started - (times_.socket_read_seconds - socket_before);
    if (result == 1) return {read, Want::Nothing};
    return {0, classify(result, "receiving from")};
  }

 private:
  // A handshake call that did not complete: what to wait for, or the
  // refusal, in words.
  Want handshake_want(int result) {
    const int error = SSL_get_error(ssl_.get(), result);
    if (error == SSL_ERROR_WANT_READ) return Want::Read;
    if (error == SSL_ERROR_WANT_WRITE) return Want::Write;
    const unsigned long code = ERR_peek_error();
    const std::string detail = openssl_errors();
    if (preshared_) refuse_preshared(code, detail);
    // This side refused the peer's certificate (and sent it an alert).
    if (!check_.refusal.empty()) throw TlsError("TLS: refused " + peer_ + ": " + check_.refusal);
    // The peer refused ours: its alert says roughly why, our certificate the rest.
    if (const std::string why = refused_because(); !why.empty())
      throw TlsError("TLS: " + peer_ + " refused this rank's certificate: " + why);
    if (reader_ && reader_->first_byte() >= 0 && reader_->first_byte() != kHandshakeRecord &&
        reader_->first_byte() != kAlertRecord)
      throw TlsError("TLS: refused " + peer_ + ": peer spoke plaintext (it does not run --transport tls)");
    std::string reason = detail;
    if (reason.empty())
      reason = error == SSL_ERROR_SYSCALL ? "connection closed during the handshake" : "unknown error";
    throw TlsError("TLS handshake with " + peer_ + " failed: " + reason);
  }

  // A handshake by job secret that failed: which side lacks the secret.
  void refuse_preshared(unsigned long code, const std::string& detail) {
    if (ERR_GET_LIB(code) == ERR_LIB_SSL && ERR_GET_REASON(code) == SSL_R_BINDER_DOES_NOT_VERIFY)
      throw TlsError("TLS: refused " + peer_ + ": it holds a different job secret (job_secret differs)");
    if (server_ && reader_ && reader_->first_byte() == kHandshakeRecord)
      throw TlsError("TLS: refused " + peer_ + ": it did not prove it holds this job's secret (" + detail + ")");
    if (check_.alert >= 0)
      throw TlsError("TLS: " + peer_ + " refused this host's job secret: the two hold different job secrets");
  }

  // The peer's alert, read against this side's own certificate: which of
  // the refusal reasons applies. Empty when the alert is not about our
  // certificate.
  std::string refused_because() const {
    X509* mine = SSL_get_certificate(ssl_.get());
    switch (check_.alert) {
      case SSL_AD_UNKNOWN_CA:
      case SSL_AD_DECRYPT_ERROR:  // the chain's signature did not verify against the peer's CA
        return pinned_ ? "it does not accept this rank's certificate (not the one this rank published)"
                       : "not signed by the job CA";
      case SSL_AD_CERTIFICATE_EXPIRED:
        return "expired on " + format_time(mine ? X509_get0_notAfter(mine) : nullptr);
      case SSL_AD_BAD_CERTIFICATE:
      case SSL_AD_CERTIFICATE_UNKNOWN:
      case SSL_AD_UNSUPPORTED_CERTIFICATE:
        if (mine && X509_cmp_current_time(X509_get0_notBefore(mine)) >= 0)
          return "not valid before " + format_time(X509_get0_notBefore(mine));
        if (pinned_) return "not the certificate this rank published (fingerprint mismatch)";
        if (mine && X509_check_host(mine, own_host_.c_str(), own_host_.size(), 0, nullptr) != 1)
          return "certificate is for host " + certificate_hosts(mine) + ", expected " + own_host_;
        return std::string("alert ") + SSL_alert_desc_string_long(check_.alert);
      default:
        return "";
    }
  }

  Want classify(int result, const char* direction) {
    const int error = SSL_get_error(ssl_.get(), result);
    if (error == SSL_ERROR_WANT_READ) return Want::Read;
    if (error == SSL_ERROR_WANT_WRITE) return Want::Write;
    if (error == SSL_ERROR_ZERO_RETURN) throw PeerClosedError(peer_ + " closed the TLS connection");
    const unsigned long code = ERR_peek_error();
    std::string reason = openssl_errors();
    if ((error == SSL_ERROR_SYSCALL && reason.empty()) || reason.find("unexpected eof") != std::string::npos)
      throw PeerClosedError(peer_ + " closed the connection (did it fail or exit?)");
    if (ERR_GET_LIB(code) == ERR_LIB_SSL && ERR_GET_REASON(code) == SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC)
      reason = "a record failed authentication (bad record MAC: tampered or corrupted on the wire)";
    else if (check_.alert == SSL_AD_BAD_RECORD_MAC)
      reason = "it refused a record from this rank (bad record MAC: tampered or corrupted on the wire)";
    // OpenSSL's fatal alert waits in the write buffer: send it (best effort,
    // the socket is non-blocking), so the peer learns why instead of seeing
    // a closed connection.
    (void)BIO_flush(SSL_get_wbio(ssl_.get()));
    throw TlsError(std::string("TLS error ") + direction + " " + peer_ + ": " +
                   (reason.empty() ? "unknown error" : reason));
  }

  static long on_bio(BIO* bio, int operation, const char*, size_t, int, long, int ret, size_t*) {
    auto* self = reinterpret_cast<TlsStream*>(BIO_get_callback_arg(bio));
    const int call = operation & ~BIO_CB_RETURN;
    // Reads through the socket read BIO time their own recv calls.
    if (call != BIO_CB_WRITE && !(call == BIO_CB_READ && self->times_socket_reads_)) return ret;
    if (!(operation & BIO_CB_RETURN))
      self->socket_call_started_ = now_seconds();
    else
      (call == BIO_CB_WRITE ? self->times_.socket_write_seconds : self->times_.socket_read_seconds) +=
          now_seconds() - self->socket_call_started_;
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
  const std::string own_host_;
  const bool pinned_;
  const bool preshared_;  // peers proven by a job secret, not certificates
  const bool server_;
  PeerCheck check_;                  // read by OpenSSL's callbacks during the handshake
  SocketReader* reader_ = nullptr;   // the read BIO's buffer (user-space path), owned by ssl_
  bool times_socket_reads_ = false;  // reads go through the socket BIO (kTLS path)
  double socket_call_started_ = 0;
  bool checked_first_byte_ = false;
  bool handshake_done_ = false;
  bool accepted_sent_ = false;
  bool kernel_send_ = false, kernel_receive_ = false;
  const std::uint64_t records_per_key_;
  std::uint64_t records_with_key_ = 0, key_updates_ = 0;
  bool write_pending_ = false;  // the last SSL_write wants to be repeated
};

}  // namespace

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
