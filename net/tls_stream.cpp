#include "net/tls_stream.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <mutex>

#include "common/clock.hpp"
#include "common/errors.hpp"
#include "net/openssl_util.hpp"
#include "net/peer_verification.hpp"
#include "net/record_receiver.hpp"
#include "net/record_sender.hpp"
#include "net/socket_read_bio.hpp"

namespace ringsim {

namespace {

// TLS record content types, as the first byte of a record.
constexpr unsigned char kAlertRecord = 0x15, kHandshakeRecord = 0x16;
// Sent by the server once it has accepted the client's certificate. In TLS
// 1.3 the client finishes its handshake before the server has checked the
// client's certificate; waiting for this byte lets the client learn of a
// refusal (the alert) during set-up instead of on its first read.
constexpr unsigned char kAccepted = 0x01;
constexpr std::size_t kMaxRecord = 16384;  // plaintext bytes per TLS record
// Writes (reads) of at least this many bytes move the connection to
// pipelined sending (receiving): record_sender.hpp, record_receiver.hpp. One
// thread more per direction of an edge that carries blocks, none for edges
// that only carry small messages.
constexpr std::size_t kPipelineFrom = std::size_t{64} << 10;
// Sealed bytes that may wait for the socket: four of the connection's
// 256 KiB chunks, enough to cover one chunk's sealing time at any link rate.
// Received bytes that may wait for OpenSSL: as many.
constexpr std::size_t kSendQueueBytes = std::size_t{1} << 20;
constexpr std::size_t kReceiveRingBytes = std::size_t{1} << 20;

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
        pipelined_sending_(context.pipelined_sending()),
        pipelined_receiving_(context.pipelined_receiving()),
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
    attach_peer_check(ssl_.get(), &check_);
    if (server)
      SSL_set_accept_state(ssl_.get());
    else
      SSL_set_connect_state(ssl_.get());
    // Time spent inside the socket calls, so encryption can be told apart.
    BIO_set_callback_arg(socket_bio, reinterpret_cast<char*>(this));
    BIO_set_callback_ex(socket_bio, &TlsStream::on_bio);
  }

  int fd() const override { return socket_.fd(); }
  int send_queue_fd() const override { return sender_ ? sender_->wake_fd() : -1; }
  int receive_queue_fd() const override { return receiver_ ? receiver_->wake_fd() : -1; }
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
    if (!sender_ && pipelined_sending_ && !times_socket_reads_ && bytes.size() >= kPipelineFrom && !write_pending_)
      start_sending_pipeline();
    if (sender_ && !write_pending_ && !sender_->has_room()) {
      if (const int error = sender_->error())
        throw IoError(peer_ + " closed the connection while sending (" + std::strerror(error) + ")");
      return {0, Want::SendQueue};
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
    if (sender_) {
      // Sealed and queued: the sender's thread takes it from here.
      (void)flush();
      times_.socket_write_seconds = socket_write_before_pipeline_ + sender_->socket_seconds();
      return {written, Want::Nothing};
    }
    // Report the bytes only once they have left the buffer for the socket.
    if (!flush()) {
      unflushed_ = written;
      return {0, Want::Write};
    }
    return {written, Want::Nothing};
  }

  IoStep read_some(std::span<std::byte> bytes) override {
    if (!receiver_ && pipelined_receiving_ && reader_ && bytes.size() >= kPipelineFrom && handshake_done_)
      start_receiving_pipeline();
    std::size_t read = 0;
    // (Pipelined, the socket's time is the receiver thread's, not inside this call.)
    const double socket_before = times_.socket_read_seconds;
    const double started = now_seconds();
    const int result = SSL_read_ex(ssl_.get(), bytes.data(), bytes.size(), &read);
    times_.decrypt_seconds += now_seconds() - started - (times_.socket_read_seconds - socket_before);
    if (receiver_) times_.socket_read_seconds = socket_read_before_pipeline_ + receiver_->socket_seconds();
    if (result == 1) return {read, Want::Nothing};
    const Want want = classify(result, "receiving from");
    return {0, receiver_ && want == Want::Read ? Want::ReceiveQueue : want};
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
      throw TlsError("TLS: refused " + peer_ +
                     ": it holds a different job secret (the job_secret file in job_secret_channel differs)");
    if (server_ && reader_ && reader_->first_byte() == kHandshakeRecord)
      throw TlsError("TLS: refused " + peer_ + ": it did not prove it holds this job's secret (" + detail + ")");
    if (check_.alert >= 0)
      throw TlsError("TLS: " + peer_ + " refused this host's job secret: the two hold different job secrets");
  }

  // The peer's alert, read against this side's own certificate.
  std::string refused_because() const {
    return refusal_of_own_certificate(check_, SSL_get_certificate(ssl_.get()), pinned_, own_host_);
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

  // From now on sealed records go to a sender thread (record_sender.hpp)
  // instead of through the buffered socket BIO, which SSL_set0_wbio frees;
  // it holds nothing by now (every earlier write returned flushed), checked
  // all the same, as an SSL_read may have queued a record to send.
  void start_sending_pipeline() {
    if (BIO_wpending(SSL_get_wbio(ssl_.get())) != 0) return;  // (tried again on the next write)
    auto sender = std::make_unique<RecordSender>(socket_.fd(), kSendQueueBytes);
    BIO* bio = sender->new_bio();
    if (!bio) throw TlsError("BIO_new failed: " + openssl_errors());
    socket_write_before_pipeline_ = times_.socket_write_seconds;
    sender_ = std::move(sender);
    SSL_set0_wbio(ssl_.get(), bio);
  }

  // From now on a receiver thread (record_receiver.hpp) reads the socket
  // ahead of OpenSSL, starting with the bytes the serial reader already
  // holds; SSL_set0_rbio frees that reader with its BIO.
  void start_receiving_pipeline() {
    auto receiver = std::make_unique<RecordReceiver>(socket_.fd(), kReceiveRingBytes, reader_->unread());
    BIO* bio = receiver->new_bio();
    if (!bio) throw TlsError("BIO_new failed: " + openssl_errors());
    socket_read_before_pipeline_ = times_.socket_read_seconds;
    receiver_ = std::move(receiver);
    reader_ = nullptr;
    SSL_set0_rbio(ssl_.get(), bio);
  }

  bool flush() {
    BIO* out = SSL_get_wbio(ssl_.get());
    if (BIO_flush(out) == 1) return true;
    if (BIO_should_retry(out)) return false;
    throw IoError(peer_ + " closed the connection while sending (" + openssl_errors() + ")");
  }

  Socket socket_;
  std::unique_ptr<RecordSender> sender_;  // pipelined sending; outlives ssl_, whose write BIO points at it
  double socket_write_before_pipeline_ = 0;
  std::unique_ptr<RecordReceiver> receiver_;  // pipelined receiving; outlives ssl_, whose read BIO points at it
  double socket_read_before_pipeline_ = 0;
  SslPtr ssl_;
  std::size_t unflushed_ = 0;  // bytes accepted by SSL_write still in the write buffer
  std::string peer_;
  const std::string own_host_;
  const bool pinned_;
  const bool preshared_;  // peers proven by a job secret, not certificates
  const bool server_;
  PeerCheck check_;                  // read by OpenSSL's callbacks during the handshake
  SocketReader* reader_ = nullptr;   // the read BIO's buffer (user-space path, serial), owned by ssl_
  bool times_socket_reads_ = false;  // reads go through the socket BIO (kTLS path)
  double socket_call_started_ = 0;
  bool checked_first_byte_ = false;
  bool handshake_done_ = false;
  bool accepted_sent_ = false;
  bool kernel_send_ = false, kernel_receive_ = false;
  const bool pipelined_sending_;
  const bool pipelined_receiving_;
  const std::uint64_t records_per_key_;
  std::uint64_t records_with_key_ = 0, key_updates_ = 0;
  bool write_pending_ = false;  // the last SSL_write wants to be repeated
};

}  // namespace

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
