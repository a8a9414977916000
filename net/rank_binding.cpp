#include "net/rank_binding.hpp"

#include <cstdint>
#include <cstring>

#include "common/errors.hpp"

namespace ringsim {

RankBindingBytes encode_rank_binding(const JobId& job, int rank, const std::string& host) {
  if (host.size() >= kHostNameBytes)
    throw ConfigError("host name '" + host.substr(0, 64) + "...' is longer than " + std::to_string(kHostNameBytes - 1) +
                      " bytes");
  RankBindingBytes out{};
  std::memcpy(out.data(), job.data(), job.size());
  const std::int32_t value = rank;
  std::memcpy(out.data() + 16, &value, 4);
  std::memcpy(out.data() + 20, host.data(), host.size());
  return out;
}

void check_rank_binding(std::span<const std::byte, kRankBindingBytes> received, const JobId& job, int expected_rank,
                        const std::string& expected_host, const std::string& who) {
  if (std::memcmp(received.data(), job.data(), job.size()) != 0)
    throw IoError(who + " is a connection of another job (its job id differs); refused");
  std::int32_t rank = 0;
  std::memcpy(&rank, received.data() + 16, 4);
  const char* name = reinterpret_cast<const char*>(received.data() + 20);
  const std::string host(name, strnlen(name, kHostNameBytes));
  if (rank != expected_rank || host != expected_host)
    throw IoError(who + " says it is rank " + std::to_string(rank) + " (host " + host + ") inside the stream, where " +
                  "rank " + std::to_string(expected_rank) + " (host " + expected_host +
                  ") was expected: the connection was swapped or replayed; refused");
}

}  // namespace ringsim
