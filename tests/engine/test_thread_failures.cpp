// Failures on thread ranks: a rank that throws ends every rank with its
// message, within the timeout and without output; the thread backend's
// collectives and memory transport bound every wait and name the rank they
// waited for; a stop request ends the job within a second; repeated jobs
// leave no thread or descriptor behind.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "common/errors.hpp"
#include "common/stop_signal.hpp"
#include "tests/engine/thread_job_fixture.hpp"
#include "transport/agreement.hpp"
#include "transport/memory_transport.hpp"
#include "transport/thread_comm.hpp"
#include "transport/thread_ranks.hpp"

using namespace ringsim;
using namespace ringsim::testing;
using ::testing::AllOf;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

namespace {

// RINGSIM_FAULT for one test's scope (thread ranks read it at each point).
class FaultScope {
 public:
  explicit FaultScope(const std::string& spec) { ::setenv("RINGSIM_FAULT", spec.c_str(), 1); }
  ~FaultScope() { ::unsetenv("RINGSIM_FAULT"); }
};

// The message run_thread_job threw (it must throw AgreedFailure).
std::string failure_of(const std::function<void()>& run) {
  try {
    run();
  } catch (const AgreedFailure& e) {
    return e.what();
  }
  return "(no failure)";
}

// Runs `o` on `ranks` thread ranks, rank r reading `rows_of_rank(r)`; the
// message of the failure run_thread_ranks throws, counting in `agreed` the
// ranks that threw it knowing every rank did.
std::string agreed_failure(const RunOptions& o, int ranks,
                           const std::function<const RowMatrix<float>&(int rank)>& rows_of_rank, int& agreed) {
  std::atomic<int> told{0};
  const std::string message = failure_of([&] {
    run_on_thread_ranks(ranks, [&](Communicator& comm) {
      RunOptions mine = o;
      const InMemoryRows rows = rows_of(rows_of_rank(comm.rank()));
      mine.input_rows = &rows;
      try {
        run_similarity_job(mine, comm);
      } catch (const AgreedFailure& e) {
        if (e.everyone_knows()) ++told;
        throw;
      }
    });
  });
  agreed = told.load();
  return message;
}

int entries_in(const std::string& dir) {
  int count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) ++count;
  return count;
}

}  // namespace

// Rank 1 throws in the ring, outside any agreement: ranks 0 and 2 wait on
// its blocks and are ended, all with rank 1's message, long before the
// 30 s timeout; nothing is published.
TEST_F(ThreadJob, ARankThatThrowsEndsEveryRankWithItsMessage) {
  const auto x = random_matrix(60, 6, 4);
  const InMemoryRows rows = rows_of(x);
  for (const std::string point : {"ring", "load", "write"}) {
    auto o = options("topk", "thrown-" + point, rows);
    o.tile = 8;
    FaultScope fault("1:" + point + ":THROW");
    const auto started = Clock::now();
    EXPECT_THAT(failure_of([&] { run_thread_job(o, 3); }),
                AllOf(HasSubstr("rank 1"), HasSubstr("phase " + point), HasSubstr("fault injected at " + point)));
    EXPECT_LT(Clock::now() - started, std::chrono::seconds(10)) << point;
    EXPECT_EQ(files_in(o.out), 0) << point;
  }
}

// Input only one rank can see is bad (a NaN in rank 2's shard): agreed, so
// every rank fails with the message naming the row.
TEST_F(ThreadJob, BadRowsOnOneRankFailEveryRankByName) {
  RowMatrix<float> good = random_matrix(4, 3, 1), bad = random_matrix(4, 3, 2);
  bad(2, 1) = std::numeric_limits<float>::quiet_NaN();
  auto o = options("topk", "nan");
  o.sharded = true;
  int agreed = 0;
  const auto shard = [&](int rank) -> const RowMatrix<float>& { return rank == 2 ? bad : good; };
  EXPECT_THAT(agreed_failure(o, 3, shard, agreed), AllOf(HasSubstr("rank 2"), HasSubstr("NaN at row 10, column 1")));
  EXPECT_EQ(agreed, 3);
  EXPECT_EQ(files_in(o.out), 0);
}

namespace {

// 2304 rows on 3 ranks, 768 each (with --tile 256). Rank 2's rows that the
// plan's sample skips (output_budget.cpp takes 342 of a rank's 768 rows,
// local rows (2t + 1) * 768 / 684) all point one way; every other row is
// random and points away from it. The estimate sees no pair, but rank 2
// finds 426 * 425 / 2 = 90525 at --threshold 0.99, over the 38461 pairs
// --max-output-bytes 1e6 lets one rank hold.
RowMatrix<float> pairs_the_plan_misses() {
  constexpr std::int64_t kRankRows = 768, kSampled = 342;
  RowMatrix<float> x = random_matrix(3 * kRankRows, 16, 7);
  x.col(0) = -x.col(0).cwiseAbs();
  std::vector<bool> sampled(kRankRows, false);
  for (std::int64_t t = 0; t < kSampled; ++t) sampled[(2 * t + 1) * kRankRows / (2 * kSampled)] = true;
  for (std::int64_t local = 0; local < kRankRows; ++local) {
    if (sampled[local]) continue;
    x.row(2 * kRankRows + local).setZero();
    x(2 * kRankRows + local, 0) = 1;
  }
  return x;
}

}  // namespace

// A rank over its pair cap mid-ring (the estimate was low) stops keeping
// pairs; after the ring every rank fails with one message naming it, well
// within the 30 s timeout, and nothing is written. All pairs; the same rows
// as queries against a corpus that is all the hidden direction (rank 2's
// hidden queries pair with all 768 corpus rows, the sampled ones with none);
// and all pairs with checkpoints, where the first save (agreed) fails, so
// that a rerun does not resume from incomplete pairs.
TEST_F(ThreadJob, ARankOverItsPairCapFailsEveryRankByName) {
  const RowMatrix<float> x = pairs_the_plan_misses();
  RowMatrix<float> corpus = RowMatrix<float>::Zero(768, x.cols());
  corpus.col(0).setOnes();
  const InMemoryRows queries = rows_of(x);
  for (const std::string job : {"all-pairs", "queries", "checkpointed"}) {
    auto o = options("threshold", job);
    o.tile = 256;
    o.threshold = 0.99;
    o.max_output_bytes = 1000000;
    if (job == "queries") o.query_rows = &queries;
    if (job == "checkpointed") o.checkpoint_dir = dir_.file("checkpoints");
    int agreed = 0;
    const auto started = Clock::now();
    const auto input = [&](int) -> const RowMatrix<float>& { return job == "queries" ? corpus : x; };
    EXPECT_THAT(agreed_failure(o, 3, input, agreed),
                AllOf(HasSubstr("rank 2"), HasSubstr("found more than 38461 pairs"),
                      HasSubstr("raise --max-output-bytes or the threshold")))
        << job;
    EXPECT_LT(Clock::now() - started, std::chrono::seconds(10)) << job;
    EXPECT_EQ(agreed, 3) << job;
    EXPECT_EQ(files_in(o.out), 0) << job;
    if (job == "checkpointed") {
      // A rerun with room resumes from no incomplete step: all its pairs are there.
      o.max_output_bytes = std::int64_t{1} << 30;
      EXPECT_EQ(run_and_check(x, o, 3, 1e-5), "");
    }
  }
}

// A peer that never sends: the receive ends at its timeout naming the rank.
TEST(MemoryTransport, APeerThatNeverSendsTimesOutByName) {
  MemoryMailboxes mailboxes(3);
  MemoryTransport transport(mailboxes, 0);
  std::vector<float> block(10);
  const auto started = Clock::now();
  EXPECT_THAT([&] { transport.recv(2, as_writable_bytes_of(block.data(), block.size()), Millis(200)); },
              ::testing::ThrowsMessage<TimeoutError>(AllOf(HasSubstr("rank 2"), HasSubstr("0.2 s"))));
  EXPECT_LT(Clock::now() - started, std::chrono::seconds(2));
}

// Blocks are matched in posting order per direction; a length mismatch
// fails both ends; a request dropped unmatched is withdrawn.
TEST(MemoryTransport, MatchesInOrderAndRefusesAnotherLength) {
  MemoryMailboxes mailboxes(2);
  MemoryTransport zero(mailboxes, 0), one(mailboxes, 1);
  const std::vector<int> first = {1, 2, 3}, second = {4, 5};
  std::vector<int> got_first(3), got_second(2), wrong(4);
  { auto dropped = one.irecv(0, as_writable_bytes_of(wrong.data(), wrong.size())); }  // withdrawn unmatched
  auto send_first = zero.isend(1, as_bytes_of(first.data(), first.size()));
  auto send_second = zero.isend(1, as_bytes_of(second.data(), second.size()));
  one.recv(0, as_writable_bytes_of(got_first.data(), got_first.size()), Millis(1000));
  one.recv(0, as_writable_bytes_of(got_second.data(), got_second.size()), Millis(1000));
  send_first->wait(Millis(1000));
  send_second->wait(Millis(1000));
  EXPECT_EQ(got_first, first);
  EXPECT_EQ(got_second, second);
  auto send = zero.isend(1, as_bytes_of(first.data(), first.size()));
  EXPECT_THROW(one.recv(0, as_writable_bytes_of(wrong.data(), wrong.size()), Millis(1000)), IoError);
  EXPECT_THROW(send->wait(Millis(1000)), IoError);
  EXPECT_EQ(zero.stats().bytes_sent, (2 * first.size() + second.size()) * sizeof(int));
}

// A rank that never comes to a collective: rank 0 names it at the timeout.
TEST(ThreadComm, ACollectiveNamesTheRankThatNeverCame) {
  std::atomic<bool> release{false};
  EXPECT_THAT(failure_of([&] {
                run_on_thread_ranks(3, [&](Communicator& comm) {
                  comm.set_timeout(Millis(300));
                  if (comm.rank() == 2) {
                    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(10));
                    throw_if_stopped();
                    return;
                  }
                  try {
                    comm.barrier();
                  } catch (...) {
                    release = true;
                    throw;
                  }
                });
              }),
              AllOf(HasSubstr("barrier"), HasSubstr("rank 2"), HasSubstr("1 of 3 ranks missing")));
}

// Ranks in different collectives are out of step, which rank 0 says.
TEST(ThreadComm, RanksInDifferentCollectivesAreOutOfStep) {
  EXPECT_THAT(failure_of([&] {
                run_on_thread_ranks(2, [&](Communicator& comm) {
                  comm.set_timeout(Millis(2000));
                  if (comm.rank() == 0)
                    comm.barrier();
                  else
                    comm.allgather(std::int64_t{1});
                });
              }),
              AllOf(HasSubstr("out of step"), HasSubstr("rank 1 is in allgather")));
}

// The collectives' values, and error agreement: every rank learns the
// first culprit; once one failed, rank 0 waits only the grace for a rank
// that never reports, and says the agreement is incomplete.
TEST(ThreadComm, CollectivesAndErrorAgreement) {
  run_on_thread_ranks(4, [&](Communicator& comm) {
    const auto r = comm.rank();
    EXPECT_EQ(comm.allreduce_max(std::int64_t{r}), 3);
    EXPECT_EQ(comm.allreduce_min(std::int64_t{r} + 5), 5);
    EXPECT_EQ(comm.allreduce_max(0.5 * r), 1.5);
    EXPECT_EQ(comm.allreduce_min(0.5 * r), 0.0);
    EXPECT_EQ(comm.allgather(std::int64_t{r * r}), (std::vector<std::int64_t>{0, 1, 4, 9}));
    EXPECT_EQ(comm.allgather(std::vector<std::int64_t>(static_cast<std::size_t>(r), r))[2],
              (std::vector<std::int64_t>{2, 2}));
    EXPECT_EQ(comm.broadcast(r == 1 ? "from one" : "", 1), "from one");
    EXPECT_EQ(comm.machines().size(), 4U);
    EXPECT_THAT(
        [&] {
          run_agreed(comm, [&] {
            if (r == 2) throw InputError("bad shard");
          });
        },
        ::testing::ThrowsMessage<AgreedFailure>(AllOf(HasSubstr("rank 2"), HasSubstr("bad shard"))));
  });
  std::atomic<bool> complete{true};
  run_on_thread_ranks(2, [&](Communicator& comm) {
    comm.set_timeout(Millis(20000));
    if (comm.rank() == 1) return;  // never reports
    const auto started = Clock::now();
    complete = comm.gather_outcomes("Pfailed here", Millis(200)).complete;
    EXPECT_LT(Clock::now() - started, std::chrono::seconds(3));
  });
  EXPECT_FALSE(complete.load());
}

// A stop request mid-ring: every rank ends within a second, the call throws
// Stopped once all are joined, and nothing is published.
TEST_F(ThreadJob, AStopRequestEndsTheJobWithinASecond) {
  const auto x = random_matrix(20000, 64, 8);
  const InMemoryRows rows = rows_of(x);
  auto o = options("topk", "stopped", rows);
  o.k = 5;
  std::atomic<bool> in_ring{false};
  o.on_progress = [&](double) { in_ring = true; };
  Clock::time_point asked{};
  const auto stop = [&] {
    if (!in_ring) return false;
    if (asked == Clock::time_point{}) asked = Clock::now();
    return true;
  };
  EXPECT_THROW(run_thread_job(o, 2, stop), Stopped);
  ASSERT_NE(asked, Clock::time_point{}) << "the job ended before it reported progress";
  EXPECT_LT(Clock::now() - asked, std::chrono::milliseconds(1000));
  EXPECT_EQ(files_in(o.out), 0);
}

// Jobs run again and again in one process (as Python calls them) leave no
// thread, descriptor or scratch file behind, over every transport.
TEST_F(ThreadJob, RepeatedJobsLeaveNothingBehind) {
  const auto x = random_matrix(40, 5, 9);
  const auto count = [](const char* dir) { return entries_in(dir); };
  auto run_each = [&](int round) {
    for (const std::string transport : {"mpi", "tcp", "tls"}) {
      auto o = options("topk", transport + std::to_string(round), transport);
      o.tls_ephemeral = true;
      EXPECT_EQ(run_and_check(x, o, 3, 1e-5), "") << transport;
    }
  };
  run_each(0);  // OpenSSL's and the logger's one-time set-up
  const int threads = count("/proc/self/task"), descriptors = count("/proc/self/fd");
  for (int round = 1; round <= 3; ++round) run_each(round);
  EXPECT_EQ(count("/proc/self/task"), threads);
  EXPECT_EQ(count("/proc/self/fd"), descriptors);
}
