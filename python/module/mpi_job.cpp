#include "python/module/mpi_job.hpp"

#include <mpi.h>

#include <type_traits>

#include "common/errors.hpp"
#include "common/host.hpp"
#include "common/phase.hpp"
#include "engine/job.hpp"
#include "kernels/gemm_backend.hpp"
#include "mpi/mpi_comm.hpp"

namespace ringsim {

namespace {

// Open MPI's MPI_Comm is a pointer, MPICH's an int: mpi4py hands out either
// as an integer. (A template, so that the branch for the other kind is not compiled.)
template <class Handle>
Handle handle_of(std::uintptr_t value) {
  if constexpr (std::is_pointer_v<Handle>) {
    return reinterpret_cast<Handle>(value);
  } else {
    return static_cast<Handle>(value);
  }
}

}  // namespace

void run_mpi_job(const RunOptions& options, std::uintptr_t comm_handle) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) throw ConfigError("comm= needs MPI started: import mpi4py.MPI first (it starts MPI)");
  MpiComm comm(handle_of<MPI_Comm>(comm_handle));
  use_single_threaded_gemm();
  set_rank_identity(comm.rank(), identity_host());
  run_similarity_job(options, comm);
}

}  // namespace ringsim
