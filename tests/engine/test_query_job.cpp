// Queries against a corpus (--queries), run by CTest under mpirun with P =
// 1..5: each query's top-k and pairs above a threshold equal the
// single-process reference, for query counts from 1 to more than the corpus,
// over every transport, and byte for byte the results of one rank alone.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engine/job.hpp"
#include "tests/engine/job_outputs.hpp"
#include "tests/engine/ring_job.hpp"
#include "tests/mpi_test_main.hpp"
#include "tests/reference.hpp"

using namespace ringsim;
using namespace ringsim::testing;

namespace {

// "" when `o`'s outputs are the reference's for `queries` against `corpus`.
std::string check_against_reference(const RowMatrix<float>& queries, const RowMatrix<float>& corpus,
                                    const RunOptions& o, bool exact_ids) {
  return check_query_outputs(Dense(queries.cast<double>()), Dense(corpus.cast<double>()), o, 1e-5, exact_ids);
}

class QueryJob : public RingJob {
 protected:
  // Runs `o` on every rank and on rank 0 alone; checks both against the
  // reference and against each other byte for byte.
  void run_and_compare(const RowMatrix<float>& queries, const RowMatrix<float>& corpus, RunOptions o,
                       bool exact_ids = false) {
    run_similarity_job(o, world());
    RunOptions alone = o;
    alone.out += "-one-rank";
    if (world().rank() == 0) {
      MpiComm self(MPI_COMM_SELF);
      run_similarity_job(alone, self);
    }
    std::string verdict;
    if (world().rank() == 0) {
      verdict = check_against_reference(queries, corpus, o, exact_ids);
      for (const std::string file : {"neighbors.npy", "scores.npy", "pairs.csv"}) {
        const bool here = std::filesystem::exists(o.out + "/" + file);
        if (here != std::filesystem::exists(alone.out + "/" + file)) verdict += file + " only in one run; ";
        if (here && file_bytes(o.out + "/" + file) != file_bytes(alone.out + "/" + file))
          verdict += file + " differs from one rank's; ";
      }
    }
    EXPECT_EQ(agree_on(verdict), "") << "P=" << world().size() << " mode=" << to_string(o.mode) << " out=" << o.out;
  }
};

}  // namespace

// Query counts from 1 (most ranks hold no query) to more than the corpus,
// with a query equal to a corpus row (its own best match, score 1), a zero
// query and zero and duplicate corpus rows; every transport, both modes.
TEST_F(QueryJob, EqualsReferenceForAnyQueryCountOverEveryTransport) {
  auto corpus = random_matrix(203, 19, 41);
  corpus.row(7).setZero();
  corpus.row(100) = corpus.row(101);
  const std::string corpus_path = write_input(corpus, "corpus.npy");
  for (const std::int64_t count : {1, 6, 250}) {
    auto queries = random_matrix(count, 19, 50 + count);
    queries.row(0) = corpus.row(100);
    if (count > 1) queries.row(count - 1).setZero();
    const std::string queries_path = write_input(queries, "queries" + std::to_string(count) + ".npy");
    for (const std::string kind : {"mpi", "tcp", "tls"}) {
      for (const std::string mode : {"topk", "threshold"}) {
        transport_ = kind;
        auto o = options(corpus_path, mode, mode + "-" + kind + "-" + std::to_string(count));
        o.queries = queries_path;
        o.k = 7;
        o.threshold = 0.3;
        o.tile = 16;
        o.tls_ephemeral = true;
        run_and_compare(queries, corpus, o);
      }
    }
  }
}

// Exact ties (every score 0 or 1): neighbours in the documented order,
// score descending then the smaller corpus row, whatever P; more slots
// than corpus rows are padding (id -1, score NaN); a corpus smaller than P
// leaves ranks without corpus rows.
TEST_F(QueryJob, TiesAndPaddingInTheDocumentedOrder) {
  const auto corpus = tie_matrix(3, 2);
  const auto queries = tie_matrix(9, 2);
  const std::string corpus_path = write_input(corpus, "corpus.npy");
  const std::string queries_path = write_input(queries, "queries.npy");
  auto o = options(corpus_path, "topk", "ties");
  o.queries = queries_path;
  o.k = 5;
  o.tile = 2;
  run_and_compare(queries, corpus, o, /*exact_ids=*/true);
  auto pairs = options(corpus_path, "threshold", "tie-pairs");
  pairs.queries = queries_path;
  pairs.threshold = 1.0;
  pairs.tile = 2;
  run_and_compare(queries, corpus, pairs);
}

// Queries of another width fail on every rank, naming both files.
TEST_F(QueryJob, QueriesOfAnotherWidthAreRefused) {
  const std::string corpus_path = write_input(random_matrix(20, 8, 1), "corpus.npy");
  const std::string queries_path = write_input(random_matrix(4, 9, 2), "queries.npy");
  auto o = options(corpus_path, "topk", "refused");
  o.queries = queries_path;
  expect_failure(o, "has 9 columns, the corpus (--input " + corpus_path + ") 8");
}

// A threshold whose pairs would pass --max-output-bytes is refused from the
// estimate before the ring, as an all-pairs job's is (output_budget.hpp):
// -2 keeps all 60 x 80 pairs, about 30 bytes each.
TEST_F(QueryJob, ThresholdOutputLargerThanTheLimitIsRefusedBeforeComputing) {
  const std::string corpus_path = write_input(random_matrix(80, 4, 12), "corpus.npy");
  const std::string queries_path = write_input(random_matrix(60, 4, 13), "queries.npy");
  auto o = options(corpus_path, "threshold", "every-pair");
  o.queries = queries_path;
  o.threshold = -2;
  o.max_output_bytes = 20000;
  expect_failure(o, "--mode threshold --threshold -2 (about 4.8e+03 pairs of 60 queries against n = 80, estimated");
}
