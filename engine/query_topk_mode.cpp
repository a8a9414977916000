#include <limits>
#include <vector>

#include "common/errors.hpp"
#include "engine/checkpoint/received_state.hpp"
#include "engine/mode_common.hpp"
#include "engine/topk_output.hpp"

namespace ringsim {

namespace {

using namespace mode_detail;

// Queries mode, top-k: each query's k best corpus rows. The queries stay on
// their rank and every corpus block passes by (query_ring.hpp), so a rank's
// lists are complete when its ring ends: no partial lists travel.
template <class Scalar>
class QueryTopKMode : public RingMode<Scalar> {
 public:
  QueryTopKMode(const ModeContext& context, int k, bool id_matrix)
      : context_(context),
        id_matrix_(id_matrix),
        own_(context.query_partition->size(context.transport.rank()), k),
        corpus_side_(largest_block(context.partition), k) {
    // The tile consumer offers every score to both sides; the corpus side's
    // bar is out of reach, so its lists stay empty and cost only the test.
    corpus_side_.raise_floor(
        std::vector<Scalar>(static_cast<std::size_t>(corpus_side_.rows()), std::numeric_limits<Scalar>::infinity()));
  }

  TileConsumer<Scalar>& start_step(int, const TileAssignment&) override {
    consumer_ = std::make_unique<TopKConsumer<Scalar>>(own_, corpus_side_);
    return *consumer_;
  }
  void end_step(int, const TileAssignment&) override {}
  void finish() override {}

  // Queries jobs do not checkpoint (docs/queries.md).
  std::string save() const override { throw InputError("a queries job does not checkpoint"); }
  void restore(const std::string&) override { throw InputError("a queries job does not checkpoint"); }

  StagedOutputs gather_and_write(const std::string& out_dir) override {
    if (context_.transport.rank() != 0) {
      send_topk_lists(context_, own_);
      return {};
    }
    return write_topk_lists(out_dir, context_, *context_.query_partition, own_, id_matrix_);
  }

 private:
  static std::int64_t largest_block(const RowPartition& partition) {
    std::int64_t largest = 0;
    for (int b = 0; b < partition.blocks(); ++b) largest = std::max(largest, partition.size(b));
    return largest;
  }

  ModeContext context_;
  bool id_matrix_;
  TopKAccumulator<Scalar> own_;          // the queries' lists
  TopKAccumulator<Scalar> corpus_side_;  // never admits a candidate
  std::unique_ptr<TopKConsumer<Scalar>> consumer_;
};

}  // namespace

template <class Scalar>
ModePtr<Scalar> make_query_topk_mode(const ModeOptions& options, const ModeContext& context) {
  return std::make_unique<QueryTopKMode<Scalar>>(context, options.k, options.id_matrix);
}
template ModePtr<float> make_query_topk_mode(const ModeOptions&, const ModeContext&);
template ModePtr<double> make_query_topk_mode(const ModeOptions&, const ModeContext&);

}  // namespace ringsim
