#pragma once
// What each end of a rank-to-rank connection says about itself as the first
// message inside the stream (inside TLS for the tls transport): the job id,
// its rank and its host. The plaintext greeting before TLS names a rank too,
// but nothing protects it: a proxy could swap two ranks' streams between
// ranks of one host (their certificates name the same host). Checked against
// this rank's own rank map, a swapped or replayed stream is refused naming
// both ranks.
#include <array>
#include <cstddef>
#include <span>
#include <string>

#include "net/peer_greeting.hpp"

namespace ringsim {

constexpr std::size_t kHostNameBytes = 256;
constexpr std::size_t kRankBindingBytes = 16 + 4 + kHostNameBytes;
using RankBindingBytes = std::array<std::byte, kRankBindingBytes>;

// Host names longer than 255 bytes are refused (ConfigError).
RankBindingBytes encode_rank_binding(const JobId& job, int rank, const std::string& host);

// Throws IoError unless `received` came from `expected_rank` on
// `expected_host` of this job; `who` names the connection ("rank 2 (host
// algo-2, 10.0.0.3:4711)").
void check_rank_binding(std::span<const std::byte, kRankBindingBytes> received, const JobId& job, int expected_rank,
                        const std::string& expected_host, const std::string& who);

}  // namespace ringsim
