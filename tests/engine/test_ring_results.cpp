// Multi-rank end-to-end tests, run by CTest under mpirun with P = 1..5: the
// whole job (files in, files out) in every mode, its precision and its
// refusals, compared against the single-process reference on rank 0.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "engine/job.hpp"
#include "tests/engine/ring_job.hpp"
#include "tests/mpi_test_main.hpp"
#include "tests/reference.hpp"

using namespace ringsim;
using namespace ringsim::testing;

TEST_F(RingJob, TopKOddSizes) {
  const int p = world().size();
  int case_id = 0;
  for (std::int64_t n :
       {std::int64_t{1}, std::int64_t{p - 1 > 0 ? p - 1 : 2}, std::int64_t{2 * p + 1}, std::int64_t{97}}) {
    for (std::int64_t d : {1, 7}) {
      for (int k : {1, 5}) {
        const auto x = random_matrix(n, d, static_cast<std::uint64_t>(n * 31 + d + k));
        auto o =
            options(write_input(x, "x" + std::to_string(case_id) + ".npy"), "topk", "out" + std::to_string(case_id));
        o.k = k;
        o.tile = 3;
        run_and_check(x, o, 1e-5);
        ++case_id;
      }
    }
  }
}

TEST_F(RingJob, TopKPadsWhenFewerRowsThanK) {
  const auto x = random_matrix(6, 4, 2);
  auto o = options(write_input(x), "topk", "out");
  o.k = 12;
  run_and_check(x, o, 1e-5);
}

TEST_F(RingJob, ZeroAndDuplicateRows) {
  auto x = random_matrix(53, 6, 9);
  x.row(0).setZero();
  x.row(20).setZero();
  x.row(52).setZero();
  x.row(7) = x.row(30);
  x.row(41) = x.row(30) * 2.5f;
  auto o = options(write_input(x), "topk", "out");
  o.k = 8;
  run_and_check(x, o, 1e-5);
  run_and_check(x, options(write_input(x), "full", "full"), 1e-5);
}

TEST_F(RingJob, ExactTiesBrokenBySmallerIndex) {
  auto x = tie_matrix(45, 5);
  x.row(11).setZero();
  auto o = options(write_input(x), "topk", "out");
  o.k = 12;
  o.tile = 4;
  run_and_check(x, o, 0.0, true);
}

TEST_F(RingJob, FullAndThresholdModes) {
  const auto x = random_matrix(61, 3, 5);
  auto full = options(write_input(x), "full", "full");
  full.tile = 5;
  run_and_check(x, full, 1e-5);
  auto threshold = options(write_input(x), "threshold", "threshold");
  threshold.threshold = 0.6;
  run_and_check(x, threshold, 1e-5);
  // Rank 0 merges every rank's sorted pairs, pulling them in chunks: tiny
  // chunks make it pull many times from every rank.
  auto chunked = options(write_input(x), "threshold", "threshold-chunked");
  chunked.threshold = -0.2;
  chunked.gather_chunk_pairs = 7;
  run_and_check(x, chunked, 1e-5);
}

TEST_F(RingJob, OutputLargerThanTheLimitIsRefusedBeforeComputing) {
  const auto x = random_matrix(80, 4, 12);
  auto every_pair = options(write_input(x), "threshold", "every-pair");
  every_pair.threshold = -2;  // 3160 pairs, about 30 bytes each
  every_pair.max_output_bytes = 20000;
  expect_failure(every_pair, "--mode threshold --threshold -2");
  auto topk = options(write_input(x), "topk", "wide-k");
  topk.k = 1000;  // 80 x 1000 x 12 bytes
  topk.max_output_bytes = 100000;
  expect_failure(topk, "--mode topk (n = 80, k = 1000)");
}

namespace {

// Random rows, each odd row made orthogonal to the row before it in double
// precision: those pairs' cosines are about 1e-8 (the float32 rounding of
// the result), which float32 arithmetic gets wrong by about as much.
RowMatrix<float> near_orthogonal_pairs(std::int64_t rows, std::int64_t cols, std::uint64_t seed) {
  RowMatrix<float> x = random_matrix(rows, cols, seed);
  for (Eigen::Index r = 1; r < x.rows(); r += 2) {
    const Eigen::RowVectorXd u = x.row(r - 1).cast<double>();
    Eigen::RowVectorXd v = x.row(r).cast<double>();
    v -= (v.dot(u) / u.dot(u)) * u;
    x.row(r) = v.cast<float>();
  }
  return x;
}

}  // namespace

TEST_F(RingJob, Float64AndCsvInput) {
  const auto x = near_orthogonal_pairs(40, 5, 8);
  auto o = options(write_input(x, "x.csv"), "topk", "out");
  o.dtype = Dtype::float64;
  o.k = 39;  // every other row, so the near-zero pairs are listed too
  // The float64 answer rounded to float32 (scores are written as float32):
  // 1e-6, which float32 arithmetic also meets, would not see --dtype ignored.
  // The reference reads the CSV's decimals as float64 does (the shortest
  // text of a float32 is not that float32 in double precision).
  Dense as_read(x.rows(), x.cols());
  for (Eigen::Index i = 0; i < x.rows(); ++i)
    for (Eigen::Index j = 0; j < x.cols(); ++j)
      as_read(i, j) = std::strtod(fmt::format("{}", x(i, j)).c_str(), nullptr);
  run_and_check(as_read, o, Tolerance(1e-13, 3e-7));
}

namespace {

// Rows whose cosines are exact in binary: scaled unit vectors and scaled
// (+-1, +-1, +-1, +-1), which normalise to components 0, +-1 and +-1/2
// exactly, so every score is exactly -1, -1/2, 0, 1/2 or 1 in float32 and
// float64 alike (sums of products of such halves round nowhere). Zero rows
// score exactly 0 with everything.
RowMatrix<float> exact_cosine_matrix() {
  const std::vector<std::vector<float>> shapes = {{1, 0, 0, 0},  {0, 1, 0, 0},     {0, 0, 0, 1},
                                                  {1, 1, 1, 1},  {1, 1, -1, -1},   {1, -1, 1, -1},
                                                  {1, 1, 1, -1}, {-1, -1, -1, -1}, {0, 0, 0, 0}};
  RowMatrix<float> x(29, 4);
  for (Eigen::Index r = 0; r < x.rows(); ++r)
    for (Eigen::Index c = 0; c < 4; ++c)
      x(r, c) =
          shapes[static_cast<std::size_t>(r * 5 % 9)][static_cast<std::size_t>(c)] * static_cast<float>(1 + r % 3);
  return x;
}

}  // namespace

// The threshold contract is score >= T: a pair whose score is exactly T is
// written, at T = -1/2, 0, 1/2 and 1, in both dtypes and over every
// transport. The check runs with a zero tolerance, so each pair is decided
// (`>` in place of `>=` loses the pairs on the threshold and fails).
TEST_F(RingJob, ThresholdKeepsPairsExactlyOnIt) {
  const auto x = exact_cosine_matrix();
  const std::string input = write_input(x);
  if (world().rank() == 0) {
    // The data must put pairs exactly on each threshold, or the test decides nothing.
    const auto s = reference_similarity(x);
    for (const double t : {-0.5, 0.0, 0.5, 1.0}) {
      int on = 0;
      for (Eigen::Index i = 0; i < s.rows(); ++i)
        for (Eigen::Index j = i + 1; j < s.cols(); ++j) on += s(i, j) == t;
      EXPECT_GT(on, 0) << "no pair exactly at " << t;
    }
  }
  int run = 0;
  for (const std::string kind : {"mpi", "tcp", "tls"})
    for (const std::string dtype : {"float32", "float64"})
      for (const double t : {-0.5, 0.0, 0.5, 1.0}) {
        transport_ = kind;
        auto o = options(input, "threshold", "t" + std::to_string(run++));
        o.threshold = t;
        o.tile = 4;
        o.tls_ephemeral = true;
        parse_option(dtype, o.dtype, "--dtype");
        SCOPED_TRACE(kind + " " + dtype + " T=" + std::to_string(t));
        run_and_check(x, o, 0.0);
      }
}

// The threshold is compared with each pair's canonical float64 score
// (docs/precision.md), whatever the dtype: rows e1 and (0.7f, sqrt 0.51f)
// score 0.69999998586, below T = 0.7 although a float32 GEMM scores them
// exactly 0.7f, and at or above T = 0.6999999: the pair is written at the
// second threshold only, by float32 and float64 alike.
TEST_F(RingJob, ThresholdIsDecidedOnTheCanonicalScore) {
  RowMatrix<float> x(2, 2);
  x << 1.0f, 0.0f, 0.7f, std::sqrt(0.51f);
  const std::string input = write_input(x);
  for (const std::string dtype : {"float32", "float64"})
    for (const double threshold : {0.7, 0.6999999}) {
      auto o = options(input, "threshold", "canonical-" + dtype + std::to_string(threshold));
      o.threshold = threshold;
      parse_option(dtype, o.dtype, "--dtype");
      run_similarity_job(o, world());
      std::string verdict;
      if (world().rank() == 0) {
        const auto pairs = read_pairs_csv(o.out + "/pairs.csv");
        if (threshold == 0.7 && !pairs.empty()) verdict = "the pair below 0.7 was written";
        if (threshold < 0.7 && (pairs.size() != 1 || static_cast<float>(pairs[0].score) != 0.69999998586f))
          verdict = "want the pair (0,1) at 0.69999998586, got " + std::to_string(pairs.size()) + " pairs";
      }
      EXPECT_EQ(agree_on(verdict), "") << dtype << " T=" << threshold;
    }
}

// float64 is float64: pairs of rows made orthogonal in double precision have
// cosines of about 1e-8, which float32 arithmetic gets wrong by about as
// much; float64 must give the double-precision answer rounded to float32
// (a few units in the last place of float32, and 1e-13 absolute), in every
// mode, against the reference. The same data in float32 must fail that
// check, or the data would not tell the two apart.
TEST_F(RingJob, Float64GivesDoublePrecisionScores) {
  const RowMatrix<float> x = near_orthogonal_pairs(48, 24, 64);
  const std::string input = write_input(x);
  const Tolerance float64_tolerance(1e-13, 3e-7);
  auto o = options(input, "topk", "unused");
  o.k = 5;
  o.threshold = 0.0;  // the near-zero pairs straddle it
  o.tile = 8;
  for (const std::string mode : {"topk", "full", "threshold"}) {
    parse_option(mode, o.mode, "--mode");
    o.out = dir_ + "/" + mode + "-float64";
    o.dtype = Dtype::float64;
    run_and_check(x, o, float64_tolerance);
  }
  // Control: float32 on the same data misses that tolerance (full mode sees
  // every pair), yet meets float32's own.
  o.mode = Mode::full;
  o.dtype = Dtype::float32;
  o.out = dir_ + "/full-float32";
  run_similarity_job(o, world());
  std::string verdict;
  if (world().rank() == 0) {
    std::vector<std::int64_t> shape;
    const auto s = reference_similarity(x);
    const auto full = read_npy<float>(o.out + "/similarity.npy", shape);
    if (check_full(s, full, float64_tolerance).empty())
      verdict += "float32 arithmetic met the float64 tolerance: the data cannot tell the dtypes apart; ";
    verdict += check_full(s, full, 1e-6);
  }
  EXPECT_EQ(agree_on(verdict), "");
}

TEST_F(RingJob, BadInputFailsOnEveryRankWithoutOutput) {
  auto x = random_matrix(30, 4, 3);
  x(17, 2) = std::nanf("");
  expect_failure(options(write_input(x, "nan.npy"), "topk", "nan"), "NaN at row 17");
  const auto good = write_input(random_matrix(10, 3, 1));
  auto bad_k = options(good, "topk", "k");
  bad_k.k = 0;
  expect_failure(bad_k, "--k must be between 1 and");
  expect_failure(options(dir_ + "/missing.npy", "topk", "missing"), "input file not found");
  if (world().rank() == 0) std::ofstream(dir_ + "/blocker") << "x";
  world().barrier();
  expect_failure(options(good, "topk", "blocker/sub"), "cannot be created");
  auto too_big = options(good, "full", "big");
  too_big.max_output_bytes = 100;
  expect_failure(too_big, "--max-output-bytes");
}
