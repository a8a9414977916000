#include "transport/tls_record_stream.hpp"

#include <openssl/ssl.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "common/clock.hpp"
#include "common/errors.hpp"

namespace ringsim {

namespace {
// Caller bytes sealed per write call: 16 records, one send(2).
constexpr std::size_t kSealChunk = std::size_t{256} << 10;
constexpr std::size_t kRecordsPerChunk = kSealChunk / kMaxRecordContent;
constexpr std::uint8_t kKeyUpdate = 24, kNewSessionTicket = 4;  // handshake message types
constexpr std::uint8_t kFatal = 2;                              // alert level
}  // namespace

TlsRecordStream::TlsRecordStream(int fd, SocketReader& reader, const std::string& suite,
                                 const TrafficSecrets& secrets, const std::string& properties,
                                 std::uint64_t records_per_key, std::string peer, StreamTimes& times)
    : fd_(fd),
      reader_(reader),
      sealer_(suite, secrets.mine, properties),
      opener_(suite, secrets.theirs, properties),
      records_per_key_(std::max<std::uint64_t>(records_per_key, 2)),
      peer_(std::move(peer)),
      times_(times),
      // room for a full chunk, the KeyUpdate records among it (27 bytes
      // each) and a closing alert
      staged_((kRecordsPerChunk + 1) * (kMaxRecordContent + kRecordOverhead), "TLS records to send"),
      carry_(kMaxRecordBody, "a TLS record") {}

void TlsRecordStream::stage(ContentType type, std::span<const std::byte> content) {
  // The last record under a key announces the next one (RFC 8446 4.6.3).
  if (sealer_.records_under_this_key() + 1 >= records_per_key_ || peer_asked_for_key_update_)
    stage_key_update(false);
  staged_end_ += sealer_.seal(type, content, staged_.data() + staged_end_);
}

void TlsRecordStream::stage_key_update(bool request_peer_update) {
  const std::byte message[5] = {std::byte{kKeyUpdate}, std::byte{0}, std::byte{0}, std::byte{1},
                                std::byte{request_peer_update}};
  staged_end_ += sealer_.seal(ContentType::Handshake, message, staged_.data() + staged_end_);
  sealer_.update_keys();
  peer_asked_for_key_update_ = false;
}

bool TlsRecordStream::send_staged() {
  while (staged_sent_ < staged_end_) {
    const std::size_t sent = send_some(
        fd_, {staged_.data() + staged_sent_, staged_end_ - staged_sent_}, times_.socket_write_seconds, peer_);
    if (sent == 0) return false;
    staged_sent_ += sent;
  }
  staged_end_ = staged_sent_ = 0;
  return true;
}

IoStep TlsRecordStream::write_some(std::span<const std::byte> bytes) {
  if (staged_end_ > 0) {
    // Records sealed by an earlier call are still on their way out.
    if (!send_staged()) return {0, Want::Write};
    const std::size_t done = std::exchange(staged_content_, 0);
    return {done, Want::Nothing};
  }
  const std::size_t take = std::min(bytes.size(), kSealChunk);
  {
    ScopedTimer timer(times_.encrypt_seconds);
    for (std::size_t at = 0; at < take; at += kMaxRecordContent)
      stage(ContentType::ApplicationData, bytes.subspan(at, std::min(kMaxRecordContent, take - at)));
  }
  if (!send_staged()) {
    staged_content_ = take;
    return {0, Want::Write};
  }
  return {take, Want::Nothing};
}

IoStep TlsRecordStream::read_some(std::span<std::byte> bytes) {
  try {
    return read_records(bytes);
  } catch (const RecordRefused& refused) {
    send_fatal_alert(refused.alert());
    throw;
  }
}

void TlsRecordStream::send_fatal_alert(Alert alert) {
  // RFC 8446 6.2: the peer learns why before the connection closes (else it
  // sees only a closed socket). One non-blocking try, after whatever is
  // already staged; the refusal is what gets reported either way.
  try {
    const std::byte message[2] = {std::byte{kFatal}, static_cast<std::byte>(alert)};
    staged_end_ += sealer_.seal(ContentType::Alert, message, staged_.data() + staged_end_);
    send_staged();
  } catch (const Error&) {
  }
}

IoStep TlsRecordStream::read_records(std::span<std::byte> bytes) {
  if (carry_begin_ < carry_end_) {
    const std::size_t take = std::min(bytes.size(), carry_end_ - carry_begin_);
    std::memcpy(bytes.data(), carry_.data() + carry_begin_, take);
    carry_begin_ += take;
    return {take, Want::Nothing};
  }
  std::size_t got = 0;
  for (;;) {
    // Open every whole record already buffered, while the caller has room.
    while (got < bytes.size()) {
      const auto unread = reader_.unread();
      if (unread.size() < kRecordHeaderBytes) break;
      const std::size_t body = RecordProtection::body_length(unread.data(), peer_);
      if (unread.size() < kRecordHeaderBytes + body) break;
      // Straight into the caller's memory when the whole opened record
      // (content, type, padding) fits; else through carry_.
      const std::size_t room = bytes.size() - got;
      const bool direct = room >= body - kRecordTagBytes;
      std::byte* target = direct ? bytes.data() + got : carry_.data();
      RecordProtection::Opened opened{};
      {
        ScopedTimer timer(times_.decrypt_seconds);
        opened = opener_.open(unread.first(kRecordHeaderBytes + body), target, peer_);
      }
      reader_.consume(kRecordHeaderBytes + body);
      if (opened.type != ContentType::ApplicationData) {
        on_control_record(opened.type, target, opened.length);
      } else if (direct) {
        got += opened.length;
      } else {
        const std::size_t take = std::min(room, opened.length);
        std::memcpy(bytes.data() + got, carry_.data(), take);
        got += take;
        carry_begin_ = take;
        carry_end_ = opened.length;
        break;
      }
    }
    if (got > 0) return {got, Want::Nothing};
    switch (reader_.fill()) {
      case SocketReader::Fill::Read:
        continue;
      case SocketReader::Fill::WouldBlock:
        return {0, Want::Read};
      case SocketReader::Fill::Closed:
        throw PeerClosedError(peer_ + " closed the connection (did it fail or exit?)");
    }
  }
}

void TlsRecordStream::on_control_record(ContentType type, const std::byte* content, std::size_t length) {
  const auto* data = reinterpret_cast<const unsigned char*>(content);
  if (type == ContentType::Alert) {
    if (length != 2) throw RecordRefused(peer_, "malformed alert", Alert::DecodeError);
    if (data[1] == static_cast<std::uint8_t>(Alert::CloseNotify))
      throw PeerClosedError(peer_ + " closed the TLS connection");
    throw TlsError("TLS error receiving from " + peer_ + ": the peer sent alert '" +
                   SSL_alert_desc_string_long(data[1]) + "'");
  }
  if (type != ContentType::Handshake)
    throw RecordRefused(peer_, "unexpected record type " + std::to_string(static_cast<int>(type)),
                        Alert::UnexpectedMessage);
  for (std::size_t at = 0; at < length;) {
    if (length - at < 4) throw RecordRefused(peer_, "truncated handshake message", Alert::DecodeError);
    const std::size_t size = (std::size_t{data[at + 1]} << 16) | (std::size_t{data[at + 2]} << 8) | data[at + 3];
    if (length - at - 4 < size) throw RecordRefused(peer_, "truncated handshake message", Alert::DecodeError);
    const std::uint8_t message = data[at];
    const bool last = at + 4 + size == length;
    if (message == kKeyUpdate) {
      // Must end its record; later records use the peer's next key.
      if (size != 1 || data[at + 4] > 1 || !last)
        throw RecordRefused(peer_, "malformed KeyUpdate", Alert::DecodeError);
      opener_.update_keys();
      if (data[at + 4] == 1) peer_asked_for_key_update_ = true;
    } else if (message != kNewSessionTicket) {  // tickets are of no use here (no resumption)
      throw RecordRefused(peer_, "unexpected post-handshake message type " + std::to_string(message),
                          Alert::UnexpectedMessage);
    }
    at += 4 + size;
  }
}

}  // namespace ringsim
