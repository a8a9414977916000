#pragma once
// A result handler: what one output mode (topk, threshold, full, the
// queries' top-k) keeps of the scores the ring computes, and how it saves
// and writes them. As in faiss's ResultHandler family, there is one loop
// (the ring: engine/ring_loop.cpp, query_ring.cpp) and one handler per kind
// of result, so a new mode is a new handler, not a change to the loop.
//
// The ring owns every message between ranks during the ring
// (engine/ring_exchange.hpp): the blocks, and for a handler that has them
// the partial results for other ranks' rows and their owners' bars. A
// handler only says what those are. After the ring, results reach rank 0
// through a RootLink (root_link.hpp), which bounds every wait.
//
// Order of calls on one rank:
//   restore(state)                   resuming (checkpoint.hpp), before the ring:
//                                    every increment, oldest first, when
//                                    saves_increments()
//   for each step s of the ring, from the first one computed:
//     begin(s, assignment)           the consumer that every tile of the
//                                    step is added to ("add"); with
//                                    shares_rows(), a shared middle step
//                                    adds pieces of any shape, in any order
//     end(s, assignment)             the step's tiles are all added
//     save()                         after a step whose exchanges are all
//                                    settled (--checkpoint-every), only
//                                    what is new with saves_increments()
//   output_bytes_here(),             threshold mode's output check
//   over_pair_cap()
//   ship(link) on every rank but 0, write(link, out_dir) on rank 0
//
// A handler with partials() (top-k) is also called between these, as
// VisitingPartials below says.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/checkpoint/received_state.hpp"
#include "engine/modes/mode_options.hpp"
#include "engine/modes/root_link.hpp"
#include "engine/staged_outputs.hpp"
#include "kernels/partition.hpp"
#include "kernels/ring_schedule.hpp"
#include "kernels/tile_kernel.hpp"

namespace ringsim {

class RowIds;

// What a handler knows of the job.
struct ResultContext {
  const RowPartition& partition;  // the input's rows (with --queries: the corpus)
  int rank = 0;
  const RowIds* ids = nullptr;  // rank 0, with --ids: names of the rows for the outputs
  // The largest |score| a received or restored list or pair may hold
  // (received_state.hpp): cosines 1 (+ rounding), dot scores more.
  double score_bound = kScoreBound;
  // Queries mode (--queries, query_ring.hpp): `partition` shares out the
  // corpus; results belong to query rows, and name a query first.
  const RowPartition* query_partition = nullptr;
  const RowIds* query_ids = nullptr;  // rank 0, with --query-ids
  double progress_seconds = 0;        // rank 0's write progress lines (WriteProgress); 0: none

  // The pairs a result may hold: within the input, or queries x corpus.
  PairSpace pair_space() const {
    return query_partition ? PairSpace::queries_by_corpus(query_partition->rows(), partition.rows())
                           : PairSpace(partition.rows());
  }
};

// Results a rank computes for another rank's rows, sent to that rank.
class PartialResult {
 public:
  virtual ~PartialResult() = default;
  // Its buffers, each one message, sent and received in this order; their
  // sizes follow from the rows it is for.
  virtual std::vector<std::span<std::byte>> buffers() = 0;
};

// What a handler whose tiles leave results for the visiting block's rows
// (top-k) gives the ring to exchange: those partials, and the owners' bars,
// the lowest score each row still takes, travelling one step behind the
// block so that a partial starts from its owner's bar.
template <class Scalar>
class VisitingPartials {
 public:
  virtual ~VisitingPartials() = default;
  // Before begin(s), s >= 1: an empty partial for this rank's rows, to
  // receive the one the rank holding this rank's block computes.
  virtual std::unique_ptr<PartialResult> empty_own_partial() = 0;
  // After end(s), s >= 1: the partial for the visiting block's owner.
  virtual std::unique_ptr<PartialResult> take_visiting_partial() = 0;
  // A partial for this rank's rows has arrived: at the latest at the end of
  // the next step, before save() and before the ring ends.
  virtual void merge_partial(PartialResult& partial) = 0;
  // This rank's bar, one value per own row: after step 0, and when resuming.
  virtual std::vector<Scalar> own_bar() const = 0;
  // The visiting block's bar, when it arrives during the step (after begin).
  virtual void raise_visiting_bar(std::span<const Scalar> bar) = 0;
};

template <class Scalar>
class ResultHandler {
 public:
  virtual ~ResultHandler() = default;

  // The ring.
  virtual TileConsumer<Scalar>& begin(int step, const TileAssignment& assignment) = 0;
  virtual void end(int /*step*/, const TileAssignment& /*assignment*/) {}
  // Whether begin's consumer takes a step's assignment in pieces
  // (shared_step.hpp); full mode keeps one band per assignment, so not it.
  virtual bool shares_rows() const { return true; }

  // Top-k: partial results for the visiting block's rows, sent to their
  // owner (null: none).
  virtual VisitingPartials<Scalar>* partials() { return nullptr; }

  // Checkpoint state: this rank's results so far.
  virtual std::string save() const = 0;
  virtual bool saves_increments() const { return false; }
  virtual void restore(const std::string& state) = 0;

  // Writing. Bytes this rank's results add to the output (threshold mode;
  // the other modes' sizes are known before the ring).
  virtual double output_bytes_here() const { return 0; }
  // Whether this rank found more pairs than it may hold (threshold mode):
  // it kept only some, so the job must fail on every rank.
  virtual bool over_pair_cap() const { return false; }
  // Ranks other than 0: this rank's results, to rank 0.
  virtual void ship(RootLink& link) = 0;
  // Rank 0: its own results and every other rank's, written into `out_dir`
  // as staged files (complete, not yet under their names).
  virtual StagedOutputs write(RootLink& link, const std::string& out_dir) = 0;
};

// The handler for `options.mode` (and for a queries job, with
// context.query_partition); modes/handlers.cpp lists them.
template <class Scalar>
std::unique_ptr<ResultHandler<Scalar>> make_result_handler(const ModeOptions& options, const ResultContext& context);

}  // namespace ringsim
