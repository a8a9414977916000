#pragma once
// One similarity job from input to output on this rank: load only this
// rank's rows, normalise, run the ring over the chosen transport, write the
// results on rank 0 and report timings.
#include <cstdint>
#include <string>

#include "engine/ring_mode.hpp"
#include "kernels/tile_kernel.hpp"
#include "transport/mpi_comm.hpp"
#include "transport/transport_factory.hpp"

namespace ringsim {

struct RunOptions {
  std::string input;
  std::string out_dir;
  ModeOptions mode;
  std::string dtype = "float32";  // compute precision: float32 | float64
  TransportOptions transport;
  TileShape tile;
  double timeout_seconds = 300;  // bound on every wait for a peer
  std::int64_t max_full_bytes = std::int64_t{4} << 30;
  // Rows this rank holds come from its own files (sharded input): global ids
  // follow rank order. Otherwise every rank sees the whole input and reads
  // only its even share.
  bool sharded = false;
  bool quiet = false;  // no summary lines on stdout
};

// Runs the job on every rank of `comm`. Throws AgreedFailure (all ranks
// agree and may exit normally) or any other Error (this rank alone knows;
// the caller must abort the job).
void run_similarity_job(const RunOptions& options, const MpiComm& comm);

}  // namespace ringsim
