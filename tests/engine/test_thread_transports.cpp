// Socket transports between thread ranks over loopback: tcp and tls give
// the memory transport's results byte for byte, and --encrypt inter-host
// puts TLS exactly on the edges between the hosts of the rank map (threads
// given different host identities), as each rank's transport stats say.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "tests/engine/thread_job_fixture.hpp"

using namespace ringsim;
using namespace ringsim::testing;

TEST_F(ThreadJob, TcpAndTlsBetweenThreadRanksGiveTheMemoryTransportsBytes) {
  const auto x = random_matrix(47, 11, 17);
  const std::vector<std::pair<std::string, std::string>> files = {
      {"topk", "neighbors.npy"}, {"topk", "scores.npy"}, {"full", "similarity.npy"}, {"threshold", "pairs.csv"}};
  for (const std::string mode : {"topk", "full", "threshold"})
    for (const std::string transport : {"mpi", "tcp", "tls"}) {
      auto o = options(mode, mode + "-" + transport, transport);
      o.k = 5;
      o.threshold = 0.25;
      o.tile = 8;
      o.tls_ephemeral = true;
      EXPECT_EQ(run_and_check(x, o, 3, 1e-5), "") << mode << " " << transport;
    }
  for (const auto& [mode, file] : files) {
    const std::string memory = file_bytes(dir_.file(mode + "-mpi/" + file));
    ASSERT_FALSE(memory.empty()) << mode << "/" << file;
    for (const std::string transport : {"tcp", "tls"})
      EXPECT_EQ(file_bytes(dir_.file(mode + "-" + transport + "/" + file)), memory) << mode << "/" << file;
  }
  const auto report = nlohmann::json::parse(file_bytes(dir_.file("topk-tls/report.json")));
  EXPECT_EQ(report["transport"], "tls");
  EXPECT_EQ(report["cipher_suite"], "TLS_AES_128_GCM_SHA256");
}

// Four thread ranks, two per host of the map (hosta: ranks 0 and 1, hostb:
// 2 and 3). Inter-host: TLS on each edge between the hosts and on no other;
// all: on every edge. A policy that encrypted nothing, or everything, fails.
TEST_F(ThreadJob, InterHostEncryptionCoversExactlyTheEdgesBetweenHosts) {
  const auto x = random_matrix(30, 6, 23);
  for (const std::string policy : {"inter-host", "all"}) {
    auto o = options("topk", "encrypt-" + policy, "tls");
    o.tls_ephemeral = true;
    o.hosts = {"hosta", "hostb"};
    o.processes_per_host = 2;
    parse_option(policy, o.encrypt, "--encrypt");
    ASSERT_EQ(run_and_check(x, o, 4, 1e-5), "") << policy;
    const auto report = nlohmann::json::parse(file_bytes(o.out + "/report.json"));
    ASSERT_EQ(report["ranks"].size(), 4U);
    for (int rank = 0; rank < 4; ++rank) {
      const auto& edges = report["ranks"][rank]["transport"]["edges"];
      ASSERT_EQ(edges.size(), 3U) << "rank " << rank;
      for (const auto& edge : edges) {
        const int peer = edge["peer"].get<int>();
        const bool between_hosts = rank / 2 != peer / 2;
        EXPECT_EQ(edge["encrypted"].get<bool>(), policy == "all" || between_hosts)
            << policy << ": edge " << rank << "-" << peer;
        EXPECT_EQ(edge["peer_host"], peer < 2 ? "hosta" : "hostb");
      }
    }
  }
}
