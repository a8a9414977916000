#pragma once
// The resume phase (--checkpoint-dir): each rank opens its checkpoint store,
// the ranks resume after the newest step all of them saved, and the ring is
// given what to do after each step it settles.
#include <cstdint>
#include <optional>

#include "engine/checkpoint/checkpoint.hpp"
#include "engine/modes/result_handler.hpp"
#include "engine/phase_timer.hpp"
#include "engine/ring_loop.hpp"
#include "transport/communicator.hpp"

namespace ringsim {

struct RunOptions;

template <class Scalar>
class JobCheckpoints {
 public:
  // Without --checkpoint-dir: a ring from step 0 that never saves. The
  // time spent saving goes to the timer's checkpoint phase.
  JobCheckpoints(const RunOptions& options, const RowPartition& partition, const RowMatrix<Scalar>& own,
                 const Communicator& comm, ResultHandler<Scalar>& handler, PhaseTimer& timer);
  JobCheckpoints(const JobCheckpoints&) = delete;
  JobCheckpoints& operator=(const JobCheckpoints&) = delete;

  // What run_ring needs; refers to this object.
  RingCheckpoints ring();
  int resume_step() const { return resume_step_; }
  // After the results are published: the checkpoints have served (a rerun
  // starts afresh). Waits for rank 0 first, so a failed publish keeps them.
  void remove_after_publish();

 private:
  void save(int step);

  const Communicator& comm_;
  ResultHandler<Scalar>& handler_;
  PhaseTimer& timer_;
  std::optional<CheckpointStore> store_;
  int every_ = 0;
  int resume_step_ = 0;
  int last_saved_step_ = -1;  // the newest step in the checkpoint folder, for incremental saves
};

// Ties checkpoints to this rank's rows and every option that changes its
// results (the transport and timeouts do not).
template <class Scalar>
std::uint64_t job_fingerprint(const RunOptions& options, const RowPartition& partition, const RowMatrix<Scalar>& own,
                              int ranks);

}  // namespace ringsim
