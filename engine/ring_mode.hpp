#pragma once
// What the ring does with each tile, and how results reach the writer:
// one implementation per output mode (topk, threshold, full). The ring loop
// (ring_loop.hpp) owns block circulation; a mode owns its partial results.
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "common/atomic_file.hpp"
#include "common/job_config.hpp"
#include "engine/checkpoint/received_state.hpp"
#include "kernels/partition.hpp"
#include "kernels/ring_schedule.hpp"
#include "kernels/tile_kernel.hpp"
#include "transport/transport.hpp"

namespace ringsim {

using StagedOutputs = std::vector<std::unique_ptr<AtomicFile>>;

template <class Scalar>
class RingMode {
 public:
  virtual ~RingMode() = default;
  // Called at the start of `step` (>= 1) as soon as the visiting block has
  // arrived and before the next block is asked for, so that messages a mode
  // exchanges with its ring neighbours keep one order on both sides.
  virtual void on_block_received(int /*step*/) {}
  // The consumer for the tiles of `assignment` at `step`.
  virtual TileConsumer<Scalar>& start_step(int step, const TileAssignment& assignment) = 0;
  virtual void end_step(int step, const TileAssignment& assignment) = 0;
  // Between two tiles of a step: a chance to use messages that arrived.
  virtual void between_tiles() {}
  // Whether a step's assignment may be computed in pieces of any shape, in
  // any order, with the one consumer start_step returned (shared_step.hpp).
  virtual bool shares_rows() const { return false; }
  // After the last step: settle every partial result this rank is owed.
  virtual void finish() = 0;

  // Checkpoints (checkpoint.hpp). settle(): at the end of a step, complete
  // every exchange of partial results posted so far (messages that travel
  // to the next step, such as top-k floors, stay in flight). save(): this
  // rank's results so far, after settle(). restore(): the reverse, before
  // the ring. resume_at(step): replaces on_block_received() at the first
  // step of a resumed ring, whose neighbour messages were lost with the
  // interrupted run; peers that resume at the same step call it too.
  virtual void settle() {}
  // Its partial results (saves_increments(): only what is new since the
  // last save(); restore() is then given every increment, oldest first).
  virtual std::string save() const = 0;
  virtual bool saves_increments() const { return false; }
  virtual void restore(const std::string& state) = 0;
  virtual void resume_at(int /*step*/) {}
  // Bytes this rank's results add to the output (threshold mode; the other
  // modes' sizes are known before the ring).
  virtual double output_bytes_here() const { return 0; }
  // Ships results to rank 0, which writes them into `out_dir` as staged
  // files: complete but not yet under their final names (the job publishes
  // them together with its report). Empty on other ranks.
  virtual StagedOutputs gather_and_write(const std::string& out_dir) = 0;
};

class RowIds;

struct ModeContext {
  Transport& transport;
  const RowPartition& partition;
  Millis timeout;
  double* wait_seconds;         // time blocked on the transport, accumulated
  const RowIds* ids = nullptr;  // rank 0, with --ids: names of the rows for the outputs
  // The largest |score| a received or restored list or pair may hold
  // (received_state.hpp): cosines 1 (+ rounding), dot scores more.
  double score_bound = kScoreBound;
  // Queries mode (--queries, query_ring.hpp): `partition` shares out the
  // corpus; results belong to query rows, and name a query first.
  const RowPartition* query_partition = nullptr;
  const RowIds* query_ids = nullptr;  // rank 0, with --query-ids
  double progress_seconds = 0;        // rank 0's write progress lines (WriteProgress); 0: none

  // How long a rank waits on rank 0 while shipping its results: longer
  // than rank 0 waits on any one rank, so that when a rank is missing rank 0
  // notices first and names it (and not a healthy rank, rank 0 then being
  // busy waiting for the missing one).
  Millis follower_timeout() const { return timeout + std::chrono::seconds(3); }

  // The pairs a result may hold: within the input, or queries x corpus.
  PairSpace pair_space() const {
    return query_partition ? PairSpace::queries_by_corpus(query_partition->rows(), partition.rows())
                           : PairSpace(partition.rows());
  }
};

// The mode's settings (common/job_config.hpp) and its memory bounds.
struct ModeOptions : ModeSettings {
  // Threshold mode: a rank holding more pairs than this fails (the output
  // would exceed --max-output-bytes anyway); keeps memory bounded.
  std::int64_t max_pairs_per_rank = std::numeric_limits<std::int64_t>::max();
  // Threshold mode: pairs per chunk rank 0 pulls from each rank while it
  // merges (its memory is one chunk per rank beside its own pairs).
  std::int64_t gather_chunk_pairs = 1 << 16;
};

template <class Scalar>
std::unique_ptr<RingMode<Scalar>> make_ring_mode(const ModeOptions& options, const ModeContext& context);

// Waits for `request`, adding the blocked time to `context.wait_seconds`.
void timed_wait(const ModeContext& context, Request& request);

}  // namespace ringsim
