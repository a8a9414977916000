// One decision rule for every precision (kernels/exact_rescore.hpp): top-k
// lists and threshold pairs from float32 and bfloat16 GEMMs are the
// float64 job's byte for byte, at P = 1..5, for every tile size and with
// measured shares, on rows built to trip a fast GEMM: clusters of rows
// within 1e-6 of each other, exact copies, copies scaled by powers of two
// (exact ties of their scores), magnitudes from 1e-20 to 1e20, a zero row.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "kernels/exact_rescore.hpp"
#include "kernels/onednn_gemm.hpp"
#include "tests/engine/thread_job_fixture.hpp"
#include "tests/scoped_env.hpp"

using namespace ringsim;
using namespace ringsim::testing;

namespace {

RowMatrix<float> adversarial_rows(std::int64_t n, std::int64_t d, std::uint64_t seed) {
  std::mt19937_64 random(seed);
  std::normal_distribution<float> gauss;
  RowMatrix<float> centres(4, d);
  for (std::int64_t i = 0; i < centres.size(); ++i) centres.data()[i] = gauss(random);
  RowMatrix<float> x(n, d);
  for (std::int64_t r = 0; r < n; ++r) {
    if (r >= 8 && r % 7 == 0) {
      x.row(r) = x.row(r / 2);  // an exact copy
    } else if (r >= 8 && r % 5 == 0) {
      x.row(r) = x.row(r - 3) * std::ldexp(1.0f, static_cast<int>(r % 40) - 20);  // scores tie exactly
    } else if (r % 11 == 3) {
      x.row(r) = centres.row(r % 4) * (r % 2 ? 1e-20f : 1e20f);
      for (std::int64_t c = 0; c < d; ++c) x(r, c) *= 1 + 1e-3f * gauss(random);
    } else {
      for (std::int64_t c = 0; c < d; ++c) x(r, c) = centres(r % 4, c) * (1 + 1e-6f * gauss(random));
    }
  }
  x.row(n / 2).setZero();
  return x;
}

struct JobRun {
  std::string precision;  // "float64": the float64 job; else a float32 job's --precision
  int ranks = 1;
  int tile = 64;
  bool measured = false;
};

std::string name_of(const JobRun& run, const std::string& mode) {
  return mode + "-" + run.precision + "-P" + std::to_string(run.ranks) + "-t" + std::to_string(run.tile) +
         (run.measured ? "-measured" : "");
}

std::vector<std::string> precisions() {
  std::vector<std::string> all = {"float64", "float32"};
  if (onednn_available()) all.push_back("bfloat16");
  return all;
}

class ExactDecisions : public ThreadJob {
 protected:
  // Runs `mode` over x as `run` says; returns the output folder.
  std::string run_job(const RowMatrix<float>& x, const RowMatrix<double>& x64, const std::string& mode,
                      const JobRun& run, double threshold) {
    auto o = options(mode, name_of(run, mode));
    o.k = 7;
    o.threshold = threshold;
    o.tile = run.tile;
    const InMemoryRows rows32 = rows_of(x), rows64 = rows_of(x64);
    if (run.precision == "float64") {
      o.dtype = Dtype::float64;
      o.input_rows = &rows64;
    } else {
      parse_option(run.precision, o.precision, "--precision");
      o.input_rows = &rows32;
    }
    if (run.measured) {
      o.balance = Balance::measured;
      o.assumed_rank_gflops.assign(static_cast<std::size_t>(run.ranks), 1.0);
      for (int r = 0; r < run.ranks; ++r) o.assumed_rank_gflops[static_cast<std::size_t>(r)] += 0.7 * r;
    }
    run_thread_job(o, run.ranks);
    return o.out;
  }

  // "" when every result file of `dir` equals `reference`'s.
  static std::string differences(const std::string& reference, const std::string& dir, const std::string& mode) {
    std::string verdict;
    const std::vector<std::string> files = mode == "topk" ? std::vector<std::string>{"neighbors.npy", "scores.npy"}
                                                          : std::vector<std::string>{"pairs.csv", "pairs.npy"};
    for (const auto& file : files) {
      const std::string expected = file_bytes(reference + "/" + file);
      if (expected.empty()) verdict += reference + "/" + file + " missing; ";
      if (file_bytes(dir + "/" + file) != expected) verdict += dir + "/" + file + " differs; ";
    }
    return verdict;
  }

  // Every precision at P = 1..5 and each tile gives the float64 job's files
  // (P = 1, tile 64), which also match the double-precision reference.
  void check_width(std::int64_t n, std::int64_t d, const std::vector<int>& tiles) {
    const RowMatrix<float> x = adversarial_rows(n, d, 100 + static_cast<std::uint64_t>(d));
    const RowMatrix<double> x64 = x.cast<double>();
    // A threshold exactly at a near pair's score: its cluster straddles it.
    const double threshold = canonical_cosine(x.row(0).data(), x.row(4).data(), d);
    for (const std::string mode : {"topk", "threshold"}) {
      const std::string reference = run_job(x, x64, mode, JobRun{"float64", 1, 64}, threshold);
      auto o = options(mode, "unused");
      o.out = reference;
      o.k = 7;
      o.threshold = threshold;
      EXPECT_EQ(check_job_outputs(Dense(x64), o, Tolerance(1e-12, 3e-7)), "") << mode << " d=" << d;
      for (const auto& precision : precisions())
        for (int ranks = 1; ranks <= 5; ++ranks)
          for (const int tile : tiles) {
            const JobRun run{precision, ranks, tile};
            EXPECT_EQ(differences(reference, run_job(x, x64, mode, run, threshold), mode), "")
                << name_of(run, mode) << " d=" << d;
          }
      for (const auto& precision : precisions()) {
        const JobRun run{precision, 4, tiles.front(), true};
        EXPECT_EQ(differences(reference, run_job(x, x64, mode, run, threshold), mode), "")
            << name_of(run, mode) << " d=" << d;
      }
    }
  }
};

}  // namespace

TEST_F(ExactDecisions, NarrowRowsEqualFloat64AtEveryPrecisionRankCountAndTile) {
  check_width(43, 3, {1, 4, 9, 64});
  check_width(37, 24, {5, 16});
}

// Each row has about 175 rows of its cluster within 1e-6: more candidates
// than a row's buffer holds (8k + 64 = 120), so rows are re-scored while
// their assignment streams by, not only at its end (kernels/exact_topk.hpp).
TEST_F(ExactDecisions, FullCandidateBuffersEqualFloat64) { check_width(701, 16, {64, 100}); }

TEST_F(ExactDecisions, WideRowsEqualFloat64AtEveryPrecisionRankCountAndTile) {
  check_width(41, 256, {4, 13});
  check_width(29, 4096, {8});
}

// --threshold 1.0 lists exactly the pairs of identical rows (and of rows
// scaled by powers of two, whose cosine is exactly 1 too): a float32 GEMM
// scores many of them 0.99999994, and bfloat16 anywhere in 1 +- 2^-7.
TEST_F(ExactDecisions, ThresholdOneFindsEveryPairOfIdenticalRows) {
  const std::int64_t originals = 60, d = 64;
  const RowMatrix<float> base = random_matrix(originals, d, 7);
  // Original r has 1 + r % 3 copies, a quarter of them halved.
  std::vector<std::int64_t> source;
  std::int64_t expected = 0;
  for (std::int64_t r = 0; r < originals; ++r) {
    const std::int64_t copies = 1 + r % 3;
    for (std::int64_t copy = 0; copy < copies; ++copy) source.push_back(r);
    expected += copies * (copies - 1) / 2;
  }
  std::mt19937_64 random(3);
  std::shuffle(source.begin(), source.end(), random);
  RowMatrix<float> x(static_cast<std::int64_t>(source.size()), d);
  for (std::size_t i = 0; i < source.size(); ++i)
    x.row(static_cast<std::int64_t>(i)) = base.row(source[i]) * (i % 4 == 1 ? 0.5f : 1.0f);
  const RowMatrix<double> x64 = x.cast<double>();
  for (const auto& precision : precisions())
    for (const int ranks : {1, 3}) {
      const std::string out = run_job(x, x64, "threshold", JobRun{precision, ranks, 16}, 1.0);
      const auto pairs = read_pairs_csv(out + "/pairs.csv");
      EXPECT_EQ(static_cast<std::int64_t>(pairs.size()), expected) << precision << " P=" << ranks;
      for (const auto& pair : pairs) EXPECT_EQ(pair.score, 1.0) << pair.i << "," << pair.j;
    }
}

// report.json says what decided: the GEMM, its bound and the candidates.
TEST_F(ExactDecisions, ReportSaysPrecisionBoundAndCandidates) {
  const RowMatrix<float> x = adversarial_rows(50, 32, 11);
  const RowMatrix<double> x64 = x.cast<double>();
  for (const auto& precision : precisions()) {
    const std::string out = run_job(x, x64, "topk", JobRun{precision, 2, 8}, 0.5);
    std::ifstream file(out + "/report.json");
    const auto report = nlohmann::json::parse(file);
    const auto& p = report.at("precision");
    EXPECT_EQ(p.at("gemm"), precision) << p.dump();
    EXPECT_EQ(p.at("decisions"), "canonical float64 scores");
    EXPECT_GT(p.at("bound").get<double>(), 0.0);
    EXPECT_GE(p.at("rescored_per_row_mean").get<double>(), 7.0 / 2);  // each list of 7, a pair counted once
    EXPECT_GE(p.at("rescored_per_row_max").get<std::int64_t>(), 4);
    EXPECT_EQ(p.at("candidate_overflow_rows"), 0);
  }
}

// The exact rule's float32 GEMM is the BLAS's or oneDNN's (F32GemmChoice,
// RINGSIM_F32_GEMM forcing each): either writes the float64 job's files
// byte for byte at P = 1..3, and report.json names the one that ran.
TEST_F(ExactDecisions, Float32GemmLibraryChangesNoResult) {
  std::vector<std::string> libraries = {"openblas"};
  if (onednn_available()) libraries.push_back("onednn");
  for (const auto& [n, d] : {std::pair<std::int64_t, std::int64_t>{43, 3}, {41, 256}}) {
    const RowMatrix<float> x = adversarial_rows(n, d, 200 + static_cast<std::uint64_t>(d));
    const RowMatrix<double> x64 = x.cast<double>();
    const double threshold = canonical_cosine(x.row(0).data(), x.row(4).data(), d);
    for (const std::string mode : {"topk", "threshold"}) {
      const std::string reference = run_job(x, x64, mode, JobRun{"float64", 1, 64}, threshold);
      for (const auto& library : libraries) {
        const ScopedEnv forced("RINGSIM_F32_GEMM", library);
        for (int ranks = 1; ranks <= 3; ++ranks)
          for (const int tile : {5, 16}) {
            const JobRun run{"float32", ranks, tile};
            const std::string out = run_job(x, x64, mode, run, threshold);
            EXPECT_EQ(differences(reference, out, mode), "") << library << " " << name_of(run, mode) << " d=" << d;
            const auto report = nlohmann::json::parse(file_bytes(out + "/report.json"));
            const auto& chosen = report.at("precision").at("float32_gemm");
            EXPECT_EQ(chosen.at("library"), library) << chosen.dump();
            EXPECT_EQ(chosen.at("by"), "forced") << chosen.dump();
            EXPECT_EQ(report.at("gemm_backend").get<std::string>().rfind(library, 0), 0u) << report["gemm_backend"];
          }
      }
    }
  }
}
