#pragma once
// A TLS 1.3 connection after its handshake, with ringsim's record layer
// (tls_records.hpp) instead of OpenSSL's: application data sealed from the
// caller's memory into a send buffer, and opened from the socket buffer
// straight into the caller's memory. Also answers the peer's KeyUpdate,
// moves to the next key itself every `records_per_key` records, and tells
// the peer with a fatal alert why it refuses a record.
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/populated_buffer.hpp"
#include "transport/socket_read_bio.hpp"
#include "transport/stream.hpp"
#include "transport/tls_records.hpp"

namespace ringsim {

struct TrafficSecrets {
  std::vector<unsigned char> mine;    // this side's application traffic secret
  std::vector<unsigned char> theirs;  // the peer's
};

class TlsRecordStream {
 public:
  // `reader`: the socket buffer the handshake was read through (it may
  // already hold the peer's first records). `times`: where to add the time
  // spent sealing, opening and in system calls.
  TlsRecordStream(int fd, SocketReader& reader, const std::string& suite, const TrafficSecrets& secrets,
                  const std::string& properties, std::uint64_t records_per_key, std::string peer, StreamTimes& times);
  // As Stream::write_some: bytes count only once they have left for the socket.
  IoStep write_some(std::span<const std::byte> bytes);
  IoStep read_some(std::span<std::byte> bytes);

 private:
  bool send_staged();
  void stage(ContentType type, std::span<const std::byte> content);
  void stage_key_update(bool request_peer_update);
  IoStep read_records(std::span<std::byte> bytes);
  void on_control_record(ContentType type, const std::byte* content, std::size_t length);
  void send_fatal_alert(Alert alert);

  int fd_;
  SocketReader& reader_;
  RecordProtection sealer_, opener_;
  std::uint64_t records_per_key_;
  std::string peer_;
  StreamTimes& times_;
  PopulatedBuffer staged_;                    // sealed records waiting for send(2)
  std::size_t staged_end_ = 0, staged_sent_ = 0;
  std::size_t staged_content_ = 0;            // caller bytes in staged_, reported once sent
  PopulatedBuffer carry_;                     // an opened record the caller had no room for yet
  std::size_t carry_begin_ = 0, carry_end_ = 0;
  bool peer_asked_for_key_update_ = false;
};

}  // namespace ringsim
