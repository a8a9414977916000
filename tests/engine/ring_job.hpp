#pragma once
// The fixture of the multi-rank end-to-end tests: a job's input written on
// rank 0 into a folder every rank sees, run under mpirun with P = 1..5, and
// its outputs compared against the single-process reference on rank 0.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/generate.hpp"
#include "engine/job.hpp"
#include "tests/engine/job_outputs.hpp"
#include "tests/mpi_test_main.hpp"
#include "tests/reference.hpp"
#include "transport/agreement.hpp"

namespace ringsim::testing {

namespace fs = std::filesystem;

class RingJob : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = shared_temp_dir("ring"); }
  void TearDown() override {
    world().barrier();
    if (world().rank() == 0) fs::remove_all(dir_);
  }

  std::string write_input(const RowMatrix<float>& x, const std::string& name = "x.npy") {
    const std::string path = dir_ + "/" + name;
    if (world().rank() == 0) write_matrix(path, x);
    world().barrier();
    return path;
  }

  RunOptions options(const std::string& input, const std::string& mode, const std::string& out) {
    RunOptions o;
    o.input = input;
    o.out = dir_ + "/" + out;
    parse_option(mode, o.mode, "--mode");
    o.quiet = true;
    o.timeout = 60;
    parse_option(transport_, o.transport, "--transport");
    return o;
  }

  // Runs the job and checks every output against the reference on rank 0.
  void run_and_check(const RowMatrix<float>& x, RunOptions o, Tolerance tol, bool exact_ids = false) {
    run_and_check(Dense(x.cast<double>()), o, tol, exact_ids);
  }
  // The same for the rows as read in double precision.
  void run_and_check(const Dense& x, RunOptions o, Tolerance tol, bool exact_ids = false) {
    run_similarity_job(o, world());
    const std::string verdict = world().rank() == 0 ? check_job_outputs(x, o, tol, exact_ids) : std::string();
    EXPECT_EQ(agree_on(verdict), "") << "P=" << world().size() << " mode=" << to_string(o.mode);
  }

  // The job must fail on every rank, with `needle` in the agreed message and
  // no result file left behind.
  void expect_failure(const RunOptions& o, const std::string& needle) {
    EXPECT_THAT([&] { run_similarity_job(o, world()); },
                ::testing::ThrowsMessage<AgreedFailure>(::testing::HasSubstr(needle)));
    if (world().rank() == 0 && fs::exists(o.out))
      for (const auto& entry : fs::directory_iterator(o.out)) ADD_FAILURE() << "left " << entry.path();
  }

  std::string dir_;
  std::string transport_ = "mpi";
};

}  // namespace ringsim::testing
