#include "engine/thread_job.hpp"

#include "engine/job.hpp"
#include "kernels/gemm_backend.hpp"
#include "transport/thread_ranks.hpp"

namespace ringsim {

void run_thread_job(const RunOptions& options, int ranks, const std::function<bool()>& stop_requested) {
  // OpenBLAS's thread count is the process's: one for every rank, set here
  // rather than read from an inherited OPENBLAS_NUM_THREADS.
  force_single_threaded_gemm();
  ThreadRanksOptions threads;
  threads.stop_requested = stop_requested;
  run_on_thread_ranks(
      ranks, [&](Communicator& comm) { run_similarity_job(options, comm); }, threads);
}

}  // namespace ringsim
