#include <limits>
#include <vector>

#include "common/errors.hpp"
#include "engine/modes/handlers.hpp"
#include "engine/modes/topk_lists.hpp"

namespace ringsim {

namespace {

// Queries mode, top-k: each query's k best corpus rows. The queries stay on
// their rank and every corpus block passes by (query_ring.hpp), so a rank's
// lists are complete when its ring ends: no partial lists travel.
template <class Scalar>
class QueryTopKHandler : public ResultHandler<Scalar> {
 public:
  QueryTopKHandler(const ModeOptions& options, const ResultContext& context)
      : context_(context),
        id_matrix_(options.id_matrix),
        own_(context.query_partition->size(context.rank), options.k),
        corpus_side_(largest_block(context.partition), options.k) {
    // The tile consumer offers every score to both sides; the corpus side's
    // bar is out of reach, so its lists stay empty and cost only the test.
    corpus_side_.raise_floor(
        std::vector<Scalar>(static_cast<std::size_t>(corpus_side_.rows()), std::numeric_limits<Scalar>::infinity()));
  }

  TileConsumer<Scalar>& begin(int, const TileAssignment&) override {
    consumer_ = std::make_unique<TopKConsumer<Scalar>>(own_, corpus_side_);
    return *consumer_;
  }

  // Queries jobs do not checkpoint (docs/queries.md).
  std::string save() const override { throw InputError("a queries job does not checkpoint"); }
  void restore(const std::string&) override { throw InputError("a queries job does not checkpoint"); }

  void ship(RootLink& link) override { ship_topk_lists(link, own_); }
  StagedOutputs write(RootLink& link, const std::string& out_dir) override {
    return write_topk_lists(link, out_dir, context_, *context_.query_partition, own_, id_matrix_);
  }

 private:
  static std::int64_t largest_block(const RowPartition& partition) {
    std::int64_t largest = 0;
    for (int b = 0; b < partition.blocks(); ++b) largest = std::max(largest, partition.size(b));
    return largest;
  }

  ResultContext context_;
  bool id_matrix_;
  TopKAccumulator<Scalar> own_;          // the queries' lists
  TopKAccumulator<Scalar> corpus_side_;  // never admits a candidate
  std::unique_ptr<TopKConsumer<Scalar>> consumer_;
};

}  // namespace

template <class Scalar>
HandlerPtr<Scalar> make_query_topk_handler(const ModeOptions& options, const ResultContext& context) {
  return std::make_unique<QueryTopKHandler<Scalar>>(options, context);
}
template HandlerPtr<float> make_query_topk_handler(const ModeOptions&, const ResultContext&);
template HandlerPtr<double> make_query_topk_handler(const ModeOptions&, const ResultContext&);

}  // namespace ringsim
