#pragma once
// One similarity job from input to output on this rank: load only this
// rank's rows, normalise, run the ring over the chosen transport, write the
// results on rank 0 and report timings.
#include "engine/run_options.hpp"
#include "transport/communicator.hpp"
#include "transport/transport_options.hpp"

namespace ringsim {

// The transport's options from the job's: its settings, the connect
// timeout and the rank map's hosts. Built once, before MPI starts, so that
// TransportWarmUp can prepare them (app/cli.cpp).
TransportOptions transport_options(const RunOptions& options);

// Runs the job on every rank of `comm` (whose collectives it bounds by
// --timeout) over a transport made from `transport`. Throws AgreedFailure (with everyone_knows(), all ranks agree
// and may exit normally) or any other Error (this rank alone knows; the
// caller must abort the job).
void run_similarity_job(const RunOptions& options, const TransportOptions& transport, Communicator& comm);
// The same over transport_options(options), for callers with nothing to
// prepare ahead (tests).
void run_similarity_job(const RunOptions& options, Communicator& comm);

}  // namespace ringsim
