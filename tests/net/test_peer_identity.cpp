// Who is at the other end of a rank's connection: the plaintext greeting and
// the accepting loop that drops strangers (peer_greeting), and the check
// inside the stream (rank_binding).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <thread>

#include "common/errors.hpp"
#include "common/socket.hpp"
#include "net/peer_greeting.hpp"
#include "net/rank_binding.hpp"

using namespace ringsim;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace {

JobId job_of(int seed) {
  JobId job{};
  for (std::size_t i = 0; i < job.size(); ++i) job[i] = std::byte(seed * 31 + static_cast<int>(i));
  return job;
}

Deadline in(std::chrono::milliseconds ms) { return std::chrono::steady_clock::now() + ms; }

void send_bytes(const Socket& s, std::span<const std::byte> bytes) {
  write_exact(s.fd(), bytes, in(std::chrono::seconds(5)), "test");
}

}  // namespace

TEST(PeerGreeting, OnlyThisJobsHigherRanksMayConnect) {
  const JobId job = job_of(1);
  EXPECT_EQ(check_greeting(encode_greeting(3, job), job, 1, 4).rank, 3);
  EXPECT_THAT(check_greeting(encode_greeting(3, job_of(2)), job, 1, 4).why, HasSubstr("another job's id"));
  EXPECT_THAT(check_greeting(encode_greeting(1, job), job, 1, 4).why, HasSubstr("rank 1, which does not connect"));
  EXPECT_THAT(check_greeting(encode_greeting(0, job), job, 1, 4).why, HasSubstr("does not connect"));
  EXPECT_THAT(check_greeting(encode_greeting(4, job), job, 1, 4).why, HasSubstr("does not connect"));
  auto bytes = encode_greeting(3, job);
  bytes[0] = std::byte{'G'};
  EXPECT_THAT(check_greeting(bytes, job, 1, 4).why, HasSubstr("not a ringsim greeting"));
}

// Strangers connect first: one closes, one sends an HTTP request, one sends
// another job's greeting, one claims rank 2 with this job's id after rank 2
// has connected, and one stays silent. Ranks 1 and 2 still get through, the
// silent one costs no more than the per-connection limit, and nothing throws.
TEST(PeerGreeting, StrangersAreDroppedAndTheRealPeersAccepted) {
  Endpoint bound;
  const Socket listener = listen_on({"127.0.0.1", 0}, bound);
  const JobId job = job_of(7);
  std::vector<Socket> strangers;
  strangers.push_back(connect_to(bound, in(std::chrono::seconds(5))));
  strangers.back() = Socket();  // connect, then close
  strangers.push_back(connect_to(bound, in(std::chrono::seconds(5))));
  const std::string http = "GET / HTTP/1.0\r\n\r\n";
  send_bytes(strangers.back(), std::as_bytes(std::span(http)));
  strangers.push_back(connect_to(bound, in(std::chrono::seconds(5))));
  send_bytes(strangers.back(), encode_greeting(2, job_of(8)));
  strangers.push_back(connect_to(bound, in(std::chrono::seconds(5))));  // silent
  Socket real2 = connect_to(bound, in(std::chrono::seconds(5)));
  send_bytes(real2, encode_greeting(2, job));
  Socket impostor = connect_to(bound, in(std::chrono::seconds(5)));
  send_bytes(impostor, encode_greeting(2, job));
  std::thread late([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    Socket real1 = connect_to(bound, in(std::chrono::seconds(5)));
    send_bytes(real1, encode_greeting(1, job));
    std::this_thread::sleep_for(std::chrono::seconds(1));
  });
  const auto started = std::chrono::steady_clock::now();
  const AcceptedPeers peers =
      accept_peers(listener, 0, 3, job, in(std::chrono::seconds(20)), std::chrono::milliseconds(500),
                   [](int r) { return "rank " + std::to_string(r); });
  late.join();
  EXPECT_TRUE(peers.sockets[1].valid());
  EXPECT_TRUE(peers.sockets[2].valid());
  EXPECT_GE(peers.ignored, 3) << "closed, HTTP and another job's greeting, at least";
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

TEST(PeerGreeting, MissingRanksAreNamedAtTheDeadline) {
  Endpoint bound;
  const Socket listener = listen_on({"127.0.0.1", 0}, bound);
  Socket silent = connect_to(bound, in(std::chrono::seconds(5)));
  EXPECT_THAT(
      [&] {
        accept_peers(listener, 1, 3, job_of(1), in(std::chrono::milliseconds(400)), std::chrono::milliseconds(100),
                     [](int r) { return "rank " + std::to_string(r) + " (host h)"; });
      },
      ThrowsMessage<TimeoutError>(HasSubstr("no connection from rank 2 (host h)")));
}

TEST(RankBinding, ASwappedOrReplayedStreamIsRefusedNamingBothRanks) {
  const JobId job = job_of(3);
  EXPECT_NO_THROW(check_rank_binding(encode_rank_binding(job, 2, "algo-1"), job, 2, "algo-1", "rank 2"));
  EXPECT_THAT([&] { check_rank_binding(encode_rank_binding(job, 1, "algo-1"), job, 2, "algo-1", "rank 2 (x)"); },
              ThrowsMessage<IoError>(AllOf(HasSubstr("rank 2 (x) says it is rank 1 (host algo-1)"),
                                           HasSubstr("rank 2 (host algo-1) was expected"), HasSubstr("swapped"))));
  EXPECT_THAT([&] { check_rank_binding(encode_rank_binding(job, 2, "algo-2"), job, 2, "algo-1", "rank 2"); },
              ThrowsMessage<IoError>(HasSubstr("says it is rank 2 (host algo-2)")));
  EXPECT_THAT([&] { check_rank_binding(encode_rank_binding(job_of(4), 2, "algo-1"), job, 2, "algo-1", "rank 2"); },
              ThrowsMessage<IoError>(HasSubstr("another job")));
  EXPECT_THROW(encode_rank_binding(job, 0, std::string(kHostNameBytes, 'a')), ConfigError);
  EXPECT_NO_THROW(encode_rank_binding(job, 0, std::string(kHostNameBytes - 1, 'a')));
}
