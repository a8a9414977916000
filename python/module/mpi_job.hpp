#pragma once
// One job over an mpi4py communicator: each process of an mpirun'ed Python
// script calls it with its own rows (sharded) or the whole matrix.
#include <cstdint>

#include "engine/run_options.hpp"

namespace ringsim {

// `comm_handle`: mpi4py's MPI._handleof(comm), the MPI_Comm itself (a
// pointer under Open MPI). Runs run_similarity_job over that communicator
// (MpiComm); rank 0 writes options.out. Call without the GIL. Throws the
// job's error on every rank that knows it (an AgreedFailure when all do).
void run_mpi_job(const RunOptions& options, std::uintptr_t comm_handle);

}  // namespace ringsim
