#pragma once
// A whole job inside this process: its ranks are threads (ThreadComm), the
// ring the same as under mpirun. What the Python module and the engine's
// tests call.
#include <functional>

#include "engine/run_options.hpp"

namespace ringsim {

// Runs the job as `ranks` threads of this process (thread backend;
// options.transport: mpi means the memory transport, tcp / tls run over
// loopback between the threads). Returns when every rank is done and joined;
// throws Error carrying the agreed message otherwise. `stop_requested` (may
// be empty) is polled at least every 100 ms on the caller's thread; when it
// returns true every rank stops within 1 s, all threads are joined, no output
// file is published, and run_thread_job throws Stopped (common/errors.hpp).
// (A job whose ranks all finished before any saw the request returns
// normally: its outputs are already out.)
//
// Each rank runs one BLAS thread whatever OPENBLAS_NUM_THREADS /
// OMP_NUM_THREADS say: the ranks are the parallelism, and P ranks each
// starting a core's worth of BLAS threads would oversubscribe the cores.
void run_thread_job(const RunOptions& options, int ranks, const std::function<bool()>& stop_requested = {});

}  // namespace ringsim
