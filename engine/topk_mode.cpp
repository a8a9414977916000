#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>
#include <limits>
#include <span>
#include <vector>

#include "common/atomic_file.hpp"
#include "common/clock.hpp"
#include "common/errors.hpp"
#include "common/fault_injection.hpp"
#include "engine/checkpoint/received_state.hpp"
#include "engine/io/npy.hpp"
#include "engine/mode_common.hpp"
#include "engine/output_budget.hpp"
#include "engine/topk_output.hpp"

namespace ringsim {

namespace {

using namespace mode_detail;

// Top-k mode: each row's k best-scoring other rows.
//
// Each tile updates two accumulators: this rank's rows and the visiting
// block's rows. The visiting one is a partial result for another rank; it is
// sent to its owner at the end of the step and merged there one step later,
// so at most two partials per direction are alive at any time.
template <class Scalar>
class TopKMode : public RingMode<Scalar> {
 public:
  TopKMode(const ModeOptions& options, const ModeContext& context)
      : context_(context),
        schedule_(context.transport.size()),
        rank_(context.transport.rank()),
        k_(options.k),
        id_matrix_(options.id_matrix),
        own_(context.partition.size(rank_), options.k) {}

  // The owner's k-th scores travel one message behind its block (sent when
  // its diagonal step is done, forwarded by each holder), so every partial
  // list starts with the owner's bar instead of empty: most candidates are
  // then rejected by the vectorised test instead of entering and leaving
  // lists at the start of every step.
  void on_block_received(int step) override {
    const int block = schedule_.visiting_block(rank_, step);
    floor_in_.assign(static_cast<std::size_t>(context_.partition.size(block)), Scalar{});
    floor_recv_ =
        context_.transport.irecv(schedule_.left(rank_), as_writable_bytes_of(floor_in_.data(), floor_in_.size()));
  }

  TileConsumer<Scalar>& start_step(int step, const TileAssignment& assignment) override {
    if (step == 0) {
      consumer_ = std::make_unique<TopKConsumer<Scalar>>(own_, own_);
      return *consumer_;
    }
    // The owner's bar, if it is here: the owner may still be on its
    // diagonal (a faster rank holding more rows). Without it the partial
    // lists start empty, which costs some selection time and changes no
    // result; it is then collected and passed on at the end of the step.
    step_ = step;
    const bool floor_here = floor_recv_->test();
    if (floor_here) pass_floor_on(step);
    // The partial for our rows computed at this step by another rank.
    Incoming incoming{std::make_unique<TopKAccumulator<Scalar>>(own_.rows(), k_), {}, {}};
    incoming.scores = context_.transport.irecv(
        schedule_.partial_source(rank_, step),
        as_writable_bytes_of(incoming.acc->score_data().data(), incoming.acc->score_data().size()));
    incoming.ids =
        context_.transport.irecv(schedule_.partial_source(rank_, step),
                                 as_writable_bytes_of(incoming.acc->id_data().data(), incoming.acc->id_data().size()));
    incoming_.push_back(std::move(incoming));
    visiting_ = std::make_unique<TopKAccumulator<Scalar>>(context_.partition.size(assignment.visiting_block), k_);
    if (floor_here) visiting_->raise_floor(floor_out_);
    consumer_ = std::make_unique<TopKConsumer<Scalar>>(own_, *visiting_);
    return *consumer_;
  }

  bool shares_rows() const override { return true; }

  // A floor that arrives during the step raises the bar from then on.
  void between_tiles() override {
    if (!floor_recv_ || !visiting_ || !floor_recv_->test()) return;
    pass_floor_on(step_);
    visiting_->raise_floor(floor_out_);
  }

  void end_step(int step, const TileAssignment& assignment) override {
    if (step == 0) {
      if (schedule_.steps() > 1) {
        floor_out_.assign(own_.kth_scores(), own_.kth_scores() + own_.rows());
        floor_send_ =
            context_.transport.isend(schedule_.right(rank_), as_bytes_of(floor_out_.data(), floor_out_.size()));
      }
      return;
    }
    if (floor_recv_) {
      timed_wait(context_, *floor_recv_);
      pass_floor_on(step);
    }
    Outgoing outgoing{std::move(visiting_), {}, {}};
    outgoing.scores = context_.transport.isend(
        assignment.visiting_block, as_bytes_of(outgoing.acc->score_data().data(), outgoing.acc->score_data().size()));
    outgoing.ids = context_.transport.isend(
        assignment.visiting_block, as_bytes_of(outgoing.acc->id_data().data(), outgoing.acc->id_data().size()));
    outgoing_.push_back(std::move(outgoing));
    // Settle the previous step's traffic now that this step's is posted.
    while (outgoing_.size() > 1) settle_outgoing();
    while (incoming_.size() > 1) settle_incoming();
  }

  void finish() override {
    if (floor_send_) timed_wait(context_, *floor_send_);
    settle();
  }

  void settle() override {
    while (!outgoing_.empty()) settle_outgoing();
    while (!incoming_.empty()) settle_incoming();
  }

  std::string save() const override {
    std::string state(as_chars(own_.score_data()));
    state += as_chars(own_.id_data());
    return state;
  }

  void restore(const std::string& state) override {
    const std::size_t score_bytes = own_.score_data().size_bytes();
    if (state.size() != score_bytes + own_.id_data().size_bytes())
      throw IoError("top-k checkpoint of another shape (" + std::to_string(state.size()) + " bytes, expected " +
                    std::to_string(score_bytes + own_.id_data().size_bytes()) + "); refused");
    copy_bytes(own_.score_data().data(), state.data(), score_bytes);
    copy_bytes(own_.id_data().data(), state.data() + score_bytes, own_.id_data().size_bytes());
    check_topk_lists<Scalar>(own_.id_data(), own_.score_data(), context_.partition.rows(),
                             "rank " + std::to_string(rank_) + "'s top-k checkpoint", context_.score_bound);
    own_.refresh_kth();
  }

  // The visiting block's floor comes from its owner (its k-th scores as
  // restored), and ours goes to the rank holding our block at `step`.
  void resume_at(int step) override {
    const int block = schedule_.visiting_block(rank_, step);
    floor_in_.assign(static_cast<std::size_t>(context_.partition.size(block)), Scalar{});
    floor_recv_ = context_.transport.irecv(block, as_writable_bytes_of(floor_in_.data(), floor_in_.size()));
    floor_out_.assign(own_.kth_scores(), own_.kth_scores() + own_.rows());
    floor_send_ =
        context_.transport.isend((rank_ + step) % schedule_.ranks(), as_bytes_of(floor_out_.data(), floor_out_.size()));
  }

  StagedOutputs gather_and_write(const std::string& out_dir) override {
    if (rank_ != 0) {
      send_topk_lists(context_, own_);
      return {};
    }
    return write_topk_lists(out_dir, context_, context_.partition, own_, id_matrix_);
  }

 private:
  // The visiting block's floor has arrived: hand it to the right neighbour,
  // which holds this block next step.
  void pass_floor_on(int step) {
    floor_recv_.reset();
    if (floor_send_) timed_wait(context_, *floor_send_);
    std::swap(floor_in_, floor_out_);
    if (step < schedule_.steps() - 1)
      floor_send_ = context_.transport.isend(schedule_.right(rank_), as_bytes_of(floor_out_.data(), floor_out_.size()));
  }

  struct Incoming {
    std::unique_ptr<TopKAccumulator<Scalar>> acc;
    RequestPtr scores, ids;
  };
  struct Outgoing {
    std::unique_ptr<TopKAccumulator<Scalar>> acc;
    RequestPtr scores, ids;
  };

  void settle_incoming() {
    Incoming& front = incoming_.front();
    timed_wait(context_, *front.scores);
    timed_wait(context_, *front.ids);
    check_topk_lists<Scalar>(front.acc->id_data(), front.acc->score_data(), context_.partition.rows(),
                             "a partial top-k list from a peer", context_.score_bound);
    front.acc->refresh_kth();
    own_.merge(*front.acc);
    incoming_.pop_front();
  }
  void settle_outgoing() {
    timed_wait(context_, *outgoing_.front().scores);
    timed_wait(context_, *outgoing_.front().ids);
    outgoing_.pop_front();
  }

  ModeContext context_;
  int step_ = 0;  // the step being computed
  RingSchedule schedule_;
  int rank_;
  int k_;
  bool id_matrix_;  // neighbor_ids.npy for string ids too
  TopKAccumulator<Scalar> own_;
  std::unique_ptr<TopKAccumulator<Scalar>> visiting_;
  std::unique_ptr<TopKConsumer<Scalar>> consumer_;
  std::deque<Incoming> incoming_;
  std::deque<Outgoing> outgoing_;
  std::vector<Scalar> floor_in_, floor_out_;  // k-th scores of the visiting block's owner
  RequestPtr floor_recv_, floor_send_;
};

}  // namespace

template <class Scalar>
ModePtr<Scalar> make_topk_mode(const ModeOptions& options, const ModeContext& context) {
  return std::make_unique<TopKMode<Scalar>>(options, context);
}
template ModePtr<float> make_topk_mode(const ModeOptions&, const ModeContext&);
template ModePtr<double> make_topk_mode(const ModeOptions&, const ModeContext&);

}  // namespace ringsim
