#include "engine/resume.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/fault_injection.hpp"
#include "common/log.hpp"
#include "common/phase.hpp"
#include "engine/run_options.hpp"
#include "transport/agreement.hpp"

namespace ringsim {

template <class Scalar>
std::uint64_t job_fingerprint(const RunOptions& options, const RowPartition& partition, const RowMatrix<Scalar>& own,
                              int ranks) {
  Fingerprint f;
  // "increments": threshold checkpoints hold only new pairs, linked to the
  // previous save; "grid": tiles lie on the global grid. Files in older
  // formats are then another job's.
  f.add(fmt::format("grid increments mode={} k={} threshold={} dtype={} tile={}x{} ranks={} n={} d={}",
                    to_string(options.mode), options.k, options.threshold, to_string(options.dtype), options.tile,
                    options.tile, ranks, partition.rows(), own.cols()) +
        (options.score == Score::dot ? " score=dot" : ""));
  for (int r = 0; r < ranks; ++r) f.add(fmt::format("{}+{}", partition.begin(r), partition.size(r)));
  return f.add(own.data(), static_cast<std::size_t>(own.size()) * sizeof(Scalar)).value();
}

template <class Scalar>
JobCheckpoints<Scalar>::JobCheckpoints(const RunOptions& options, const RowPartition& partition,
                                       const RowMatrix<Scalar>& own, const Communicator& comm,
                                       ResultHandler<Scalar>& handler, PhaseTimer& timer)
    : comm_(comm), handler_(handler), timer_(timer) {
  if (options.checkpoint_dir.empty()) return;
  PhaseScope phase("resume");
  // Without a key a checkpoint carries only a checksum: whoever can write
  // the folder (on SageMaker: the checkpoint_s3_uri prefix) can change this
  // job's results through it (docs/checkpoints.md).
  if (comm.rank() == 0 && options.checkpoint_key_file.empty())
    log::warning("checkpoints in " + options.checkpoint_dir +
                 " are not keyed (no --checkpoint-key-file; on SageMaker: no job_secret, job_secret_channel or "
                 "tls_channel): whoever can write there can change this job's results (docs/checkpoints.md)");
  std::vector<int> saved;
  run_agreed(comm, [&] {
    store_.emplace(
        options.checkpoint_dir, comm.rank(), job_fingerprint(options, partition, own, comm.size()),
        options.checkpoint_key_file.empty() ? std::string() : read_checkpoint_key(options.checkpoint_key_file));
    saved = store_->saved_steps();
  });
  // Resume after the newest step every rank saved.
  std::vector<int> common = saved;
  for (const auto& theirs : comm.allgather(std::vector<std::int64_t>(saved.begin(), saved.end())))
    std::erase_if(common, [&](int step) { return std::find(theirs.begin(), theirs.end(), step) == theirs.end(); });
  if (comm.rank() == 0)
    log::info(common.empty() ? fmt::format("checkpoints: no step saved by every rank (rank 0 holds {}); starting "
                                           "from the first step",
                                           saved.size())
                             : fmt::format("checkpoints: resuming after step {}, saved by every rank", common.back()));
  if (!common.empty()) {
    run_agreed(comm, [&] {
      handler.restore(handler.saves_increments() ? load_increments(*store_, common.back())
                                                 : store_->load(common.back()));
    });
    resume_step_ = common.back() + 1;
    last_saved_step_ = common.back();
  }
  every_ = options.checkpoint_every;
}

template <class Scalar>
RingCheckpoints JobCheckpoints<Scalar>::ring() {
  RingCheckpoints checkpoints;
  checkpoints.resume_step = resume_step_;
  if (store_) {
    checkpoints.every = every_;
    checkpoints.save = [this](int step) { save(step); };
  }
  return checkpoints;
}

template <class Scalar>
void JobCheckpoints<Scalar>::save(int step) {
  auto measured = timer_.measure(TimedPhase::checkpoint);
  if (handler_.saves_increments()) {
    run_agreed(comm_, [&] { save_increment(*store_, step, last_saved_step_, handler_.save()); });
  } else {
    // Write the new step, agree every rank has it on disk, only then remove
    // the old one: SageMaker uploads /opt/ml/checkpoints as files appear,
    // and a job stopped anywhere in between still holds a step every rank
    // saved (the old one until the agreement, then both).
    run_agreed(comm_, [&] {
      inject_fault_at(("checkpoint-writing-" + std::to_string(step)).c_str(), comm_.rank());
      store_->save(step, handler_.save());
    });
    inject_fault_at(("checkpoint-written-" + std::to_string(step)).c_str(), comm_.rank());
    store_->keep_only(step);  // every rank holds `step` now
  }
  last_saved_step_ = step;
  inject_fault_at(("checkpoint-" + std::to_string(step)).c_str(), comm_.rank());
}

template <class Scalar>
void JobCheckpoints<Scalar>::remove_after_publish() {
  if (!store_) return;
  PhaseScope phase("cleanup");
  comm_.barrier();
  store_->keep_only(-1);
}

template class JobCheckpoints<float>;
template class JobCheckpoints<double>;
template std::uint64_t job_fingerprint<float>(const RunOptions&, const RowPartition&, const RowMatrix<float>&, int);
template std::uint64_t job_fingerprint<double>(const RunOptions&, const RowPartition&, const RowMatrix<double>&, int);

}  // namespace ringsim
