// The job's phases on thread ranks beyond the ring itself: resuming from a
// checkpoint after a rank failed, the balance probe (--balance measured),
// output writing with row ids, progress reported to a callback, and the
// one-BLAS-thread rule.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/engine/thread_job_fixture.hpp"
#include "transport/agreement.hpp"

using namespace ringsim;
using namespace ringsim::testing;
namespace fs = std::filesystem;

// Rank 1 fails right after ring step 1 was saved; the rerun resumes after
// it (resumed_steps 2), writes the uninterrupted run's bytes and removes
// the checkpoints.
TEST_F(ThreadJob, ResumesFromACheckpointAfterARankFailed) {
  const auto x = random_matrix(90, 8, 31);
  const InMemoryRows rows = rows_of(x);
  auto reference = options("topk", "reference", rows);
  reference.tile = 8;
  run_thread_job(reference, 3);
  auto o = reference;
  o.out = dir_.file("resumed");
  o.checkpoint_dir = dir_.file("checkpoints");
  ::setenv("RINGSIM_FAULT", "1:checkpoint-1:THROW", 1);
  EXPECT_THROW(run_thread_job(o, 3), AgreedFailure);
  ::unsetenv("RINGSIM_FAULT");
  EXPECT_EQ(files_in(o.out), 0);
  int saved = 0;
  for (const auto& entry : fs::directory_iterator(o.checkpoint_dir))
    saved += entry.path().filename().string().find("step-1.ckpt") != std::string::npos;
  EXPECT_EQ(saved, 3);
  run_thread_job(o, 3);
  const auto report = nlohmann::json::parse(file_bytes(o.out + "/report.json"));
  EXPECT_EQ(report["resumed_steps"], 2);
  for (const std::string file : {"neighbors.npy", "scores.npy"})
    EXPECT_EQ(file_bytes(o.out + "/" + file), file_bytes(reference.out + "/" + file)) << file;
  EXPECT_EQ(files_in(o.checkpoint_dir), 0);
}

// --balance measured: each rank times its GEMM rate, rows are shared by
// it, and the results are still the reference's.
TEST_F(ThreadJob, MeasuredBalanceProbesEveryRank) {
  const auto x = random_matrix(70, 10, 37);
  auto o = options("topk", "measured");
  o.balance = Balance::measured;
  o.k = 4;
  o.tile = 8;
  EXPECT_EQ(run_and_check(x, o, 3, 1e-5), "");
  const auto report = nlohmann::json::parse(file_bytes(o.out + "/report.json"));
  EXPECT_EQ(report["balance"], "measured");
  for (const auto& rank : report["ranks"]) EXPECT_GT(rank["measured_gflops"].get<double>(), 0);
}

// Row ids from a file name the rows in the outputs (ids.txt, and with
// --id-matrix every neighbour's id), rows.json maps each rank's rows, and
// the threshold mode writes its pairs both ways.
TEST_F(ThreadJob, WritesIdsRowsAndEveryOutputFile) {
  const auto x = random_matrix(12, 4, 41);
  const std::string ids = dir_.file("ids.txt");
  std::string names;
  for (int r = 0; r < 12; ++r) names += "row-" + std::to_string(r) + "\n";
  std::ofstream(ids) << names;
  auto o = options("topk", "topk");
  o.ids = ids;
  o.id_matrix = true;
  o.k = 3;
  EXPECT_EQ(run_and_check(x, o, 2, 1e-5), "");
  EXPECT_EQ(file_bytes(o.out + "/ids.txt"), names);
  const std::string neighbor_ids = file_bytes(o.out + "/neighbor_ids.npy");
  EXPECT_NE(neighbor_ids.find("'descr': '<U6'"), std::string::npos) << neighbor_ids.substr(0, 80);
  EXPECT_NE(neighbor_ids.find("'shape': (12, 3)"), std::string::npos) << neighbor_ids.substr(0, 80);
  const auto rows = nlohmann::json::parse(file_bytes(o.out + "/rows.json"));
  EXPECT_FALSE(rows.empty());
  const auto report = nlohmann::json::parse(file_bytes(o.out + "/report.json"));
  EXPECT_EQ(report["P"], 2);
  EXPECT_NE(report["provenance"]["options"].dump().find(ids), std::string::npos);
  auto pairs = options("threshold", "threshold");
  pairs.threshold = 0.1;
  EXPECT_EQ(run_and_check(x, pairs, 3, 1e-5), "");
  EXPECT_TRUE(fs::exists(pairs.out + "/pairs.npy"));
}

// Progress goes to the callback on rank 0, rising to 1 at the end.
TEST_F(ThreadJob, ProgressReachesTheCallback) {
  const auto x = random_matrix(64, 8, 43);
  auto o = options("full", "progress");
  o.tile = 8;
  std::vector<double> seen;
  o.on_progress = [&](double done) { seen.push_back(done); };
  EXPECT_EQ(run_and_check(x, o, 3, 1e-5), "");
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back(), 1.0);
  for (const double done : seen) EXPECT_TRUE(done >= 0 && done <= 1) << done;
}

#ifdef RINGSIM_OPENBLAS
extern "C" {
void openblas_set_num_threads(int);
int openblas_get_num_threads(void);
}

// Ranks are the parallelism: a job leaves OpenBLAS on one thread whatever
// the process had set (an inherited OPENBLAS_NUM_THREADS, numpy's choice).
TEST_F(ThreadJob, RanksRunOneBlasThreadEach) {
  openblas_set_num_threads(4);
  auto o = options("topk", "blas");
  EXPECT_EQ(run_and_check(random_matrix(20, 4, 47), o, 2, 1e-5), "");
  EXPECT_EQ(openblas_get_num_threads(), 1);
}
#endif
