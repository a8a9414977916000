#include "python/module/mpi_job.hpp"

#include <mpi.h>

#include <type_traits>

#include "common/errors.hpp"
#include "common/host.hpp"
#include "common/phase.hpp"
#include "kernels/gemm_backend.hpp"
#include "transport/mpi_comm.hpp"

namespace ringsim {

namespace {

MPI_Comm communicator_of(std::uintptr_t handle) {
  // Open MPI's MPI_Comm is a pointer, MPICH's an int: mpi4py hands out either as an integer.
  if constexpr (std::is_pointer_v<MPI_Comm>) {
    return reinterpret_cast<MPI_Comm>(handle);
  } else {
    return static_cast<MPI_Comm>(handle);
  }
}

}  // namespace

void run_mpi_job(const RunOptions& options, std::uintptr_t comm_handle) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) throw ConfigError("comm= needs MPI started: import mpi4py.MPI first (it starts MPI)");
  MpiComm comm(communicator_of(comm_handle));
  use_single_threaded_gemm();
  set_rank_identity(comm.rank(), identity_host());
  run_similarity_job(options, comm);
}

}  // namespace ringsim
