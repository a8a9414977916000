#pragma once
// Block-partitioned cosine similarity: one assignment (own rows x visiting
// rows, see ring_schedule.hpp) is cut into tiles on one global grid, each
// computed with one GEMM and handed straight to a consumer that selects what
// it needs, so no rank ever holds an n x n buffer in top-k or threshold mode.
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <vector>

#include "kernels/exact_rescore.hpp"
#include "kernels/exact_topk.hpp"
#include "kernels/matrix.hpp"
#include "kernels/ring_schedule.hpp"
#include "kernels/topk.hpp"

namespace ringsim {

// Where a tile sits: local row offsets inside the two blocks and the global
// id of each block's row 0.
struct TilePlace {
  std::int64_t own_local = 0, visiting_local = 0;
  std::int64_t own_global0 = 0, visiting_global0 = 0;  // global id of local row 0
  bool diagonal = false;                               // only pairs with own row < visiting row count
};

template <class Scalar>
class TileConsumer {
 public:
  virtual ~TileConsumer() = default;
  // tile(i, j) = similarity of own row (own_local + i) and visiting row (visiting_local + j).
  virtual void consume(const ColMatrix<Scalar>& tile, const TilePlace& place) = 0;
  // The same pairs computed the other way round, because the visiting rows
  // come first in the matrix: tile(j, i) = similarity of visiting row
  // (visiting_local + j) and own row (own_local + i).
  virtual void consume_transposed(const ColMatrix<Scalar>& tile, const TilePlace& place) = 0;
  // Full mode wants the whole diagonal block, not only its upper triangle.
  virtual bool wants_full_diagonal() const { return false; }
  // Set by a backend whose tile scores are fast scores within a bound of
  // the canonical ones (exact_rescore.hpp): the top-k and threshold
  // consumers then take a tile's scores as candidates only and decide on
  // canonical scores. Null (the default): the tile's scores decide.
  void set_rescore(ExactRescore<Scalar>* rescore) { rescore_ = rescore; }
  // The assignment's last tile has been consumed, its blocks still
  // resident: settle what waited for the whole assignment.
  virtual void end_assignment() {}

 protected:
  ExactRescore<Scalar>* rescore_ = nullptr;
};

// Tiles lie on one grid over the whole matrix: global rows [t * edge,
// (t + 1) * edge), cut where a block ends. BLAS kernels sum a pair's products
// in an order that depends on the product's shape and on where the pair sits
// in it, so each pair of grid tiles is always one GEMM of the same operands
// in the same order (the tile that comes first in the matrix on the left).
// When blocks end on grid lines (RowPartition with grain = edge), a score is
// then bit-identical whichever rank computes it and however rows are shared.
struct TileGrid {
  std::int64_t edge = 256;
  // The first grid line after global row `row`: where the tile holding it ends.
  std::int64_t line_after(std::int64_t row) const { return (row / edge + 1) * edge; }
  // The last grid line at or before global row `row`: where that tile starts.
  std::int64_t line_at(std::int64_t row) const { return row / edge * edge; }
  // The grid line nearest to global row `row` (halfway: the later one).
  std::int64_t nearest_line(std::int64_t row) const { return (row + edge / 2) / edge * edge; }
};

// Runs every grid tile of `assignment`; `after_tile` runs after each one with the
// tile's entry count (the engine uses it to progress communication and to
// report progress). Returns the number of similarity entries computed (each
// costs 2 * cols flops).
template <class Scalar>
std::int64_t compute_assignment(const RowMatrix<Scalar>& own, std::int64_t own_global0,
                                const RowMatrix<Scalar>& visiting, std::int64_t visiting_global0,
                                const TileAssignment& assignment, const TileGrid& grid, TileConsumer<Scalar>& consumer,
                                const std::function<void(std::int64_t)>& after_tile);

// Keeps the top k per row for both blocks of a pair. On the diagonal both
// accumulators are the same object.
template <class Scalar>
class TopKConsumer : public TileConsumer<Scalar> {
 public:
  TopKConsumer(TopKAccumulator<Scalar>& own, TopKAccumulator<Scalar>& visiting);
  ~TopKConsumer() override;
  void consume(const ColMatrix<Scalar>& tile, const TilePlace& place) override;
  void consume_transposed(const ColMatrix<Scalar>& tile, const TilePlace& place) override;
  // Exact re-scoring: the assignment's candidates re-scored (exact_topk.hpp).
  void end_assignment() override;
  // The two sides' lists, for a backend that selects elsewhere (the GPU) and
  // offers only its candidates.
  TopKAccumulator<Scalar>& own_lists() { return own_; }
  TopKAccumulator<Scalar>& visiting_lists() { return visiting_; }
  // Exact re-scoring of a pair such a backend nominated: own row
  // `own_local` and visiting row `visiting_local` of `place`'s blocks,
  // offered with its canonical score to the own row's list (to_own) or
  // the visiting row's.
  void offer_rescored(std::int64_t own_local, std::int64_t visiting_local, const TilePlace& place, bool to_own);

 private:
  // Exact re-scoring only: the fast scores' candidates of the assignment.
  ExactTopKCandidates<Scalar>& candidates();

  TopKAccumulator<Scalar>& own_;
  TopKAccumulator<Scalar>& visiting_;
  std::unique_ptr<ExactTopKCandidates<Scalar>> candidates_;
};

template <class Scalar>
struct ScoredPair {
  std::int64_t i, j;  // global ids: i < j, or (PairOrder::own_first) query i, corpus j
  Scalar score;
};

// How a pair's two ids are kept: all pairs within one matrix as (smaller id,
// larger id); queries against a corpus as (own id, visiting id), the query
// first, since the two ids count rows of different matrices.
enum class PairOrder { by_id, own_first };

// Collects every pair with score >= threshold, in `order`.
template <class Scalar>
class ThresholdConsumer : public TileConsumer<Scalar> {
 public:
  // Holds at most `max_pairs` pairs (bounds memory when a low threshold
  // would qualify nearly every pair): one more marks the consumer
  // over_cap() and it stores nothing further. It does not throw: the
  // engine agrees the flag among all ranks after the ring, so that every
  // rank fails together instead of its peers waiting on one that threw
  // mid-ring. Tile scores are compared with the threshold rounded to
  // Scalar; canonical scores (set_rescore) with `threshold` itself.
  explicit ThresholdConsumer(double threshold, std::int64_t max_pairs = std::numeric_limits<std::int64_t>::max(),
                             PairOrder order = PairOrder::by_id)
      : threshold_(static_cast<Scalar>(threshold)), exact_threshold_(threshold), max_pairs_(max_pairs), order_(order) {}
  void consume(const ColMatrix<Scalar>& tile, const TilePlace& place) override;
  void consume_transposed(const ColMatrix<Scalar>& tile, const TilePlace& place) override;
  std::vector<ScoredPair<Scalar>>& pairs() { return pairs_; }
  const std::vector<ScoredPair<Scalar>>& pairs() const { return pairs_; }
  Scalar threshold() const { return threshold_; }
  // A pair of own row `own` and visiting row `visiting` (global ids), as
  // `order` keeps it; also for a pair selected elsewhere (the GPU).
  void add(std::int64_t own, std::int64_t visiting, Scalar score) {
    if (static_cast<std::int64_t>(pairs_.size()) >= max_pairs_) {
      over_cap_ = true;
      return;
    }
    if (order_ == PairOrder::own_first || own < visiting)
      pairs_.push_back({own, visiting, score});
    else
      pairs_.push_back({visiting, own, score});
  }
  // Whether more than max_pairs pairs qualified (the ones kept are then
  // incomplete and must not be written).
  bool over_cap() const { return over_cap_ || static_cast<std::int64_t>(pairs_.size()) > max_pairs_; }
  std::int64_t max_pairs() const { return max_pairs_; }
  // Exact re-scoring (set_rescore): the fast score a pair must reach to be
  // a candidate, T - B rounded down to Scalar; and a candidate (own row
  // `own_local`, visiting row `visiting_local` of `place`'s blocks) kept
  // when its canonical score reaches T, also for a backend that nominates
  // candidates elsewhere (the GPU).
  Scalar exact_bar() const;
  void add_rescored(std::int64_t own_local, std::int64_t visiting_local, const TilePlace& place);

 private:
  // Pairs of a tile whose canonical score reaches the threshold.
  void consume_exact(const ColMatrix<Scalar>& tile, const TilePlace& place, bool transposed);

  Scalar threshold_;
  double exact_threshold_;
  std::int64_t max_pairs_;
  PairOrder order_;
  std::vector<ScoredPair<Scalar>> pairs_;
  bool over_cap_ = false;
  std::vector<Scalar> row_slack_;  // consume_exact's: a tile's row terms
};

// Copies tiles into one dense band for the assignment (full mode).
template <class Scalar>
class DenseConsumer : public TileConsumer<Scalar> {
 public:
  explicit DenseConsumer(const TileAssignment& assignment);
  void consume(const ColMatrix<Scalar>& tile, const TilePlace& place) override;
  void consume_transposed(const ColMatrix<Scalar>& tile, const TilePlace& place) override;
  bool wants_full_diagonal() const override { return true; }
  // (own_end - own_begin) x (visiting_end - visiting_begin), row-major.
  RowMatrix<float>& band() { return band_; }

 private:
  TileAssignment assignment_;
  RowMatrix<float> band_;
};

}  // namespace ringsim
