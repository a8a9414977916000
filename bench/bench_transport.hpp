#pragma once
// `ringsim bench transport`: OSU-style ping-pong between ranks 0 and 1
// (warm-up, then timed repetitions; median and spread) and a ring test in
// which every rank sends to its right and receives from its left at once,
// as the similarity ring does; for each transport asked for.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "transport/communicator.hpp"

namespace ringsim {

struct TransportBenchOptions {
  std::vector<std::string> transports = {"mpi", "tcp", "tls"};
  std::string sizes = "1KiB..64MiB";  // powers of two in the range, or a comma list
  std::string out;                    // JSON file (rank 0); empty: stdout only
  double seconds_per_size = 0.5;      // time budget per size and test
  std::string tls_ciphersuites = "TLS_AES_128_GCM_SHA256";
  std::string tls_crypto = "auto";  // auto | openssl, as `run --tls-crypto`
  std::string bind;                 // ADDR|IFACE to listen on, as `run --bind`; empty: the transports' default
  std::string netns;                // network namespace (ip netns) for this rank's sockets; empty: the process's
};

// "1KiB..4MiB" -> 1024, 2048, ..., 4194304; "4096,1MiB" -> 4096, 1048576.
std::vector<std::int64_t> parse_sizes(const std::string& text);

// Bytes per second one core seals with AES-128-GCM on records of
// `record_bytes` (16 KiB: the tls transport's records; about 1400: an ESP
// packet at MTU 1500), measured for about `seconds`.
double cipher_seal_rate(double seconds, std::size_t record_bytes = 16384);

void run_transport_bench(const TransportBenchOptions& options, const Communicator& comm);

}  // namespace ringsim
