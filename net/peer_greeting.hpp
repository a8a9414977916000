#pragma once
// The plaintext greeting a connecting rank sends first, and the accepting
// side's loop that waits for its higher ranks' greetings while anything else
// that connects to its port (a port scanner, a stray or misdirected peer, an
// idle connection) is dropped and logged, never fatal.
//
// Greeting (24 bytes): "RSIM", the sender's rank (int32, host order), the
// job id (16 random bytes rank 0 drew and sent over MPI's launch channel).
// A connection without this job's id cannot claim a rank. Over tls the
// claim is checked again inside TLS (rank_binding.hpp), where a proxy
// cannot change it.
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "common/socket.hpp"

namespace ringsim {

using JobId = std::array<std::byte, 16>;

constexpr std::size_t kGreetingBytes = 24;
std::array<std::byte, kGreetingBytes> encode_greeting(int rank, const JobId& job);

// What a greeting says, or why it is none.
struct GreetingCheck {
  int rank = -1;    // valid when `why` is empty
  std::string why;  // "not a ringsim greeting", "another job's greeting", ...
};
// Checks 24 received bytes: the magic, this job's id, a rank that may
// connect here (above `own_rank`, below `size`).
GreetingCheck check_greeting(std::span<const std::byte, kGreetingBytes> bytes, const JobId& job, int own_rank,
                             int size);

struct AcceptedPeers {
  std::vector<Socket> sockets;  // by rank; valid for each rank above own_rank
  int ignored = 0;              // connections dropped on the way
};

// Accepts until every rank in (own_rank, size) has connected with a valid
// greeting, or throws TimeoutError at `deadline` naming the ranks still
// missing (`describe(rank)`). Greetings are read concurrently; a connection
// that sends anything else, closes, claims a rank already connected, or
// sends nothing within `per_connection` is closed and logged once per source
// address.
AcceptedPeers accept_peers(const Socket& listener, int own_rank, int size, const JobId& job, Deadline deadline,
                           std::chrono::milliseconds per_connection, const std::function<std::string(int)>& describe);

}  // namespace ringsim
