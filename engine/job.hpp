#pragma once
// One similarity job from input to output on this rank: load only this
// rank's rows, normalise, run the ring over the chosen transport, write the
// results on rank 0 and report timings.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/ring_mode.hpp"
#include "kernels/tile_kernel.hpp"
#include "transport/mpi_comm.hpp"
#include "transport/transport_factory.hpp"

namespace ringsim {

struct RunOptions {
  std::string input;
  std::string out_dir;
  // Row names in global row order (text, one per line, or a 1-D integer
  // .npy); empty: results carry row numbers only.
  std::string ids;
  ModeOptions mode;
  std::string dtype = "float32";  // compute precision: float32 | float64
  TransportOptions transport;
  TileShape tile;
  double timeout_seconds = 300;  // bound on every wait for a peer
  // Largest output a job may write (all result files together); checked
  // before computing (threshold mode: estimated, then checked exactly
  // before writing).
  std::int64_t max_output_bytes = std::int64_t{4} << 30;
  // Rows this rank holds come from its own files (sharded input): global ids
  // follow rank order. Otherwise every rank sees the whole input and reads
  // only its even share.
  // Ranks sharing one host and one input path split that input evenly.
  bool sharded = false;
  bool quiet = false;  // no summary lines on stdout
  // SageMaker-style placement: rank r runs on host_of(r) of the rank map of
  // these hosts (natural order, ranks contiguous per host). "{host}" in
  // input, out, failure_file and TLS paths becomes this rank's host.
  std::vector<std::string> hosts;
  int processes_per_host = 1;
  bool check_hosts = false;  // the machine's host name must be the mapped one
  std::string failure_file;  // written (if absent) when the job fails
  // Save partial results here after every `checkpoint_every`-th ring step
  // and resume from them on a rerun (checkpoint.hpp); empty: no checkpoints.
  std::string checkpoint_dir;
  int checkpoint_every = 1;
  double progress_seconds = 10;  // rank 0 prints a progress line this often; 0: never
};

// Runs the job on every rank of `comm` (whose collectives it bounds by
// --timeout). Throws AgreedFailure (with everyone_knows(), all ranks agree
// and may exit normally) or any other Error (this rank alone knows; the
// caller must abort the job).
void run_similarity_job(const RunOptions& options, MpiComm& comm);

}  // namespace ringsim
