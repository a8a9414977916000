// The engine on thread ranks (run_thread_job, no mpirun): every mode and
// dtype at P = 1..5 equals the single-process reference, for sizes that
// leave ranks uneven or empty, with exact ties, with queries, and with rows
// in memory or in files alike.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/generate.hpp"
#include "tests/engine/thread_job_fixture.hpp"
#include "transport/thread_ranks.hpp"

using namespace ringsim;
using namespace ringsim::testing;

// n = 53: odd and divisible by no P > 1; tile 8 puts several blocks on a
// rank and a ragged one at the end.
TEST_F(ThreadJob, EveryModeAndDtypeEqualsTheReferenceAtOneToFiveRanks) {
  const auto x = random_matrix(53, 7, 101);
  const RowMatrix<double> x64 = x.cast<double>() * 1.5;
  for (int ranks = 1; ranks <= 5; ++ranks)
    for (const std::string mode : {"topk", "full", "threshold"})
      for (const std::string dtype : {"float32", "float64"}) {
        auto o = options(mode, mode + dtype + std::to_string(ranks));
        parse_option(dtype, o.dtype, "--dtype");
        o.k = 6;
        o.threshold = 0.2;
        o.tile = 8;
        const std::string verdict = dtype == "float32" ? run_and_check(x, o, ranks, 1e-5)
                                                       : run_and_check(x64, o, ranks, Tolerance(1e-12, 1e-7));
        EXPECT_EQ(verdict, "") << "P=" << ranks << " mode=" << mode << " dtype=" << dtype;
      }
}

// More ranks than rows: ranks 3 and 4 hold none, and still pass blocks on.
TEST_F(ThreadJob, RanksWithoutRows) {
  const auto x = random_matrix(3, 5, 7);
  for (const std::string mode : {"topk", "full", "threshold"}) {
    auto o = options(mode, mode);
    o.k = 4;  // more than the 2 candidates: padded slots
    o.threshold = -1;
    o.tile = 1;
    EXPECT_EQ(run_and_check(x, o, 5, 1e-5), "") << mode;
  }
}

// Exact ties (every score 0 or 1) come out in the documented order: the
// smaller index first, whichever rank computed them.
TEST_F(ThreadJob, ExactTiesBrokenBySmallerIndex) {
  const auto x = tie_matrix(41, 4);
  for (const int ranks : {1, 3, 4}) {
    auto o = options("topk", "ties" + std::to_string(ranks));
    o.k = 12;
    o.tile = 4;
    EXPECT_EQ(run_and_check(x, o, ranks, 0.0, /*exact_ids=*/true), "") << "P=" << ranks;
  }
}

// Queries in memory against a corpus in memory: top-k and threshold, from
// one query (most ranks hold none) to more queries than corpus rows.
TEST_F(ThreadJob, QueriesEqualTheReference) {
  const auto corpus = random_matrix(37, 6, 5);
  const InMemoryRows corpus_rows = rows_of(corpus);
  for (const std::int64_t count : {1, 20, 45}) {
    const auto queries = random_matrix(count, 6, 900 + static_cast<std::uint64_t>(count));
    const InMemoryRows query_rows = rows_of(queries);
    for (const std::string mode : {"topk", "threshold"})
      for (const int ranks : {1, 2, 4}) {
        auto o = options(mode, mode + std::to_string(count) + "-" + std::to_string(ranks));
        o.input_rows = &corpus_rows;
        o.query_rows = &query_rows;
        o.k = 5;
        o.threshold = 0.1;
        o.tile = 8;
        run_thread_job(o, ranks);
        EXPECT_EQ(check_query_outputs(Dense(queries.cast<double>()), Dense(corpus.cast<double>()), o, 1e-5), "")
            << "queries=" << count << " mode=" << mode << " P=" << ranks;
      }
  }
}

// The same rows from a file and from memory give the same bytes, and a
// float64 array read as float32 the same as its float32 rounding.
TEST_F(ThreadJob, RowsFromMemoryEqualRowsFromAFile) {
  const auto x = random_matrix(29, 9, 3);
  auto from_file = options("full", "file", x, "x.npy");
  run_thread_job(from_file, 3);
  auto from_memory = options("full", "memory");
  EXPECT_EQ(run_and_check(x, from_memory, 3, 1e-5), "");
  const RowMatrix<double> wide = x.cast<double>();
  auto from_wide = options("full", "wide");
  EXPECT_EQ(run_and_check(wide, from_wide, 2, 1e-5), "");
  const std::string expected = file_bytes(from_file.out + "/similarity.npy");
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(file_bytes(from_memory.out + "/similarity.npy"), expected);
  EXPECT_EQ(file_bytes(from_wide.out + "/similarity.npy"), expected);
}

// Sharded rows in memory (each rank its own, as an mpi4py script passes
// them): ranks of 0, 5 and 11 rows make one 16-row input, in rank order.
TEST_F(ThreadJob, ShardedRowsInMemoryAreEachRanksOwn) {
  const auto x = random_matrix(16, 5, 12);
  const std::vector<std::int64_t> sizes = {0, 5, 11};
  std::vector<RowMatrix<float>> shards;
  std::int64_t begin = 0;
  for (const auto size : sizes) {
    shards.emplace_back(x.middleRows(begin, size));
    begin += size;
  }
  auto o = options("topk", "sharded");
  o.k = 4;
  o.sharded = true;
  run_on_thread_ranks(3, [&](Communicator& comm) {
    RunOptions mine = o;
    const InMemoryRows rows = rows_of(shards[static_cast<std::size_t>(comm.rank())]);
    mine.input_rows = &rows;
    run_similarity_job(mine, comm);
  });
  EXPECT_EQ(check_job_outputs(Dense(x.cast<double>()), o, 1e-5), "");
}

// Sharded files: ranks on one machine that see the same path split its rows
// evenly; each machine's files are its own. Two machines of two thread
// ranks each, both with x at the same path: the job's input is x twice.
TEST_F(ThreadJob, ShardedFilesAreSplitAmongTheRanksOfAMachine) {
  const auto x = random_matrix(9, 4, 14);
  auto o = options("full", "machines", x, "shard.npy");
  o.sharded = true;
  ThreadRanksOptions threads;
  threads.machines = {"machine-a", "machine-a", "machine-b", "machine-b"};
  run_on_thread_ranks(
      4, [&](Communicator& comm) { run_similarity_job(o, comm); }, threads);
  RowMatrix<float> twice(18, 4);
  twice << x, x;
  EXPECT_EQ(check_job_outputs(Dense(twice.cast<double>()), o, 1e-5), "");
  const auto report = nlohmann::json::parse(file_bytes(o.out + "/report.json"));
  std::vector<std::int64_t> rows;
  for (const auto& rank : report["ranks"]) rows.push_back(rank["rows"].get<std::int64_t>());
  EXPECT_EQ(rows, (std::vector<std::int64_t>{5, 4, 5, 4}));
}
