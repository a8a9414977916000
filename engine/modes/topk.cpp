// Top-k mode: each row's k best-scoring other rows.
//
// Each tile updates two accumulators: this rank's rows and the visiting
// block's rows. The visiting one is a partial result for another rank; the
// ring sends it to its owner at the end of the step, where it is merged one
// step later (ring_exchange.hpp). The owner's k-th scores travel one message
// behind its block, so every partial list starts with the owner's bar
// instead of empty: most candidates are then rejected by the vectorised test
// instead of entering and leaving lists at the start of every step.
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/errors.hpp"
#include "engine/checkpoint/received_state.hpp"
#include "engine/modes/bytes.hpp"
#include "engine/modes/handlers.hpp"
#include "engine/modes/topk_lists.hpp"

namespace ringsim {

namespace {

using namespace mode_detail;

// A partial result: top-k lists for the rows of one block.
template <class Scalar>
struct TopKPartial : PartialResult {
  TopKPartial(std::int64_t rows, int k) : lists(rows, k) {}
  std::vector<std::span<std::byte>> buffers() override {
    return {as_writable_bytes_of(lists.score_data().data(), lists.score_data().size()),
            as_writable_bytes_of(lists.id_data().data(), lists.id_data().size())};
  }
  TopKAccumulator<Scalar> lists;
};

template <class Scalar>
class TopKHandler : public ResultHandler<Scalar>, public VisitingPartials<Scalar> {
 public:
  TopKHandler(const ModeOptions& options, const ResultContext& context)
      : context_(context),
        k_(options.k),
        id_matrix_(options.id_matrix),
        own_(context.partition.size(context.rank), options.k) {}

  TileConsumer<Scalar>& begin(int step, const TileAssignment& assignment) override {
    if (step == 0) {
      consumer_ = std::make_unique<TopKConsumer<Scalar>>(own_, own_);
    } else {
      visiting_ = std::make_unique<TopKPartial<Scalar>>(context_.partition.size(assignment.visiting_block), k_);
      consumer_ = std::make_unique<TopKConsumer<Scalar>>(own_, visiting_->lists);
    }
    return *consumer_;
  }

  VisitingPartials<Scalar>* partials() override { return this; }

  std::unique_ptr<PartialResult> empty_own_partial() override {
    return std::make_unique<TopKPartial<Scalar>>(own_.rows(), k_);
  }
  std::unique_ptr<PartialResult> take_visiting_partial() override { return std::move(visiting_); }
  void merge_partial(PartialResult& partial) override {
    TopKAccumulator<Scalar>& lists = static_cast<TopKPartial<Scalar>&>(partial).lists;
    check_topk_lists<Scalar>(lists.id_data(), lists.score_data(), context_.partition.rows(),
                             "a partial top-k list from a peer", context_.score_bound);
    lists.refresh_kth();
    own_.merge(lists);
  }
  std::vector<Scalar> own_bar() const override { return {own_.kth_scores(), own_.kth_scores() + own_.rows()}; }
  void raise_visiting_bar(std::span<const Scalar> bar) override { visiting_->lists.raise_floor(bar); }

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
                             "rank " + std::to_string(context_.rank) + "'s top-k checkpoint", context_.score_bound);
    own_.refresh_kth();
  }

  void ship(RootLink& link) override { ship_topk_lists(link, own_); }
  StagedOutputs write(RootLink& link, const std::string& out_dir) override {
    return write_topk_lists(link, out_dir, context_, context_.partition, own_, id_matrix_);
  }

 private:
  ResultContext context_;
  int k_;
  bool id_matrix_;  // neighbor_ids.npy for string ids too
  TopKAccumulator<Scalar> own_;
  std::unique_ptr<TopKPartial<Scalar>> visiting_;  // this step's lists for the visiting block
  std::unique_ptr<TopKConsumer<Scalar>> consumer_;
};

}  // namespace

template <class Scalar>
HandlerPtr<Scalar> make_topk_handler(const ModeOptions& options, const ResultContext& context) {
  return std::make_unique<TopKHandler<Scalar>>(options, context);
}
template HandlerPtr<float> make_topk_handler(const ModeOptions&, const ResultContext&);
template HandlerPtr<double> make_topk_handler(const ModeOptions&, const ResultContext&);

}  // namespace ringsim
