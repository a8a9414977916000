#pragma once
// The fixture of the engine's tests on thread ranks (run_thread_job): no
// mpirun, P ranks as threads of the test process, input straight from
// memory, outputs checked against the single-process reference.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "engine/generate.hpp"
#include "engine/thread_job.hpp"
#include "tests/engine/job_outputs.hpp"
#include "tests/reference.hpp"
#include "tests/scratch_dir.hpp"

namespace ringsim::testing {

// `x`'s rows as a job's in-memory input (x must outlive the job).
template <class Scalar>
InMemoryRows rows_of(const RowMatrix<Scalar>& x) {
  return InMemoryRows{x.data(), sizeof(Scalar) == 8 ? Dtype::float64 : Dtype::float32, x.rows(), x.cols()};
}

class ThreadJob : public ::testing::Test {
 protected:
  // A job's options writing to `out` under the test's folder: quiet, no
  // progress lines, a 30 s bound on every wait.
  RunOptions options(const std::string& mode, const std::string& out, const std::string& transport = "mpi") {
    RunOptions o;
    o.out = dir_.file(out);
    parse_option(mode, o.mode, "--mode");
    parse_option(transport, o.transport, "--transport");
    o.quiet = true;
    o.progress_seconds = 0;
    o.timeout = 30;
    return o;
  }
  // The same reading `rows` (which must outlive the job).
  RunOptions options(const std::string& mode, const std::string& out, const InMemoryRows& rows) {
    RunOptions o = options(mode, out);
    o.input_rows = &rows;
    return o;
  }
  // The same reading `x`, written first to the .npy file `name` under the
  // test's folder.
  RunOptions options(const std::string& mode, const std::string& out, const RowMatrix<float>& x,
                     const std::string& name) {
    RunOptions o = options(mode, out);
    o.input = dir_.file(name);
    write_matrix(o.input, x);
    return o;
  }
  // Runs `o` on `ranks` thread ranks over `x` in memory; "" when its results
  // are the reference's.
  template <class Scalar>
  std::string run_and_check(const RowMatrix<Scalar>& x, RunOptions o, int ranks, Tolerance tol,
                            bool exact_ids = false) {
    const InMemoryRows rows = rows_of(x);
    o.input_rows = &rows;
    run_thread_job(o, ranks);
    return check_job_outputs(Dense(x.template cast<double>()), o, tol, exact_ids);
  }
  // Files in `dir` (none when it does not exist).
  static int files_in(const std::string& dir) {
    if (!std::filesystem::exists(dir)) return 0;
    int count = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) ++count;
    return count;
  }

  ScratchDir dir_{"threads"};
};

}  // namespace ringsim::testing
