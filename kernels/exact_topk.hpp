#pragma once
// Exact top-k from fast scores, one assignment (block pair) at a time.
// Re-scoring every pair that improves a list as the tiles stream by costs
// about k ln(n / k) canonical scores per row; instead each row keeps, for
// the assignment, the k best *fast* scores (admission) and the pairs
// within 2B of their k-th (its candidates), and re-scores them, its blocks
// still resident, only when the assignment ends or its buffer fills up.
//
// Why nothing is missed: let f be a row's k-th best fast score in the
// assignment. Those k pairs score canonically >= f - B, so the row's exact
// k-th after this assignment is >= f - B (less 2^-25 for the float32
// rounding lists keep); a pair that enters has canonical >= that, and fast
// >= canonical - B >= f - 2B - 2^-24. The exact lists' own k-th h bounds it
// too: fast >= h - B - 2^-24. Candidates are kept below neither bar, with
// kCandidateRoundingSlack for the rounding of the bars themselves. B here
// is the row's own: the pair part of the bound, the row's term and the
// largest term of the other block (score_bound.hpp), which bounds every
// pair of the row.
//
// Memory is bounded: each row has a buffer of 8k + 64 candidates (at most
// 512: 4 KiB a row for float32, less than its list of k when k is that
// large). A full
// buffer first drops what fell below the row's bar; if it is still over
// half full, its k best are re-scored then and there (any time is right:
// the blocks stay resident for the whole assignment), which raises the
// row's exact k-th and so its exact bar, and what that bar leaves in the
// buffer stays (re-scored whole only if still over half full). A row's candidates are
// re-scored best fast score first: the exact k-th rises fastest that way,
// and the first candidate out of reach ends the row.
#include <cstdint>
#include <vector>

#include "kernels/exact_rescore.hpp"
#include "kernels/matrix.hpp"
#include "kernels/topk.hpp"

namespace ringsim {

struct TilePlace;

template <class Scalar>
class ExactTopKCandidates {
 public:
  explicit ExactTopKCandidates(int k);

  // The candidates of one tile (tile(i, j): row-side row i, column-side
  // row j; `transposed`: the row side is the visiting block), judged
  // against the fast lists so far and the exact lists' k-th scores; a row
  // whose buffer fills up is re-scored into its exact list at once.
  void scan(const ColMatrix<Scalar>& tile, const TilePlace& place, bool transposed, TopKAccumulator<Scalar>& own,
            TopKAccumulator<Scalar>& visiting, ExactRescore<Scalar>& rescore);
  // Re-scores the candidates still in reach and offers them to the exact
  // lists; forgets the assignment.
  void settle(ExactRescore<Scalar>& rescore);

 private:
  struct Candidate {
    Scalar fast;
    std::int32_t other;  // local row of the other block
  };
  // One block's rows: their k best fast scores (descending), the bar a
  // fast score must reach, their candidate buffers, and where re-scored
  // candidates go (the exact lists; own_side: the rows are the own block's).
  struct Side {
    std::vector<Scalar> best;  // rows x k
    std::vector<Scalar> bar;   // per row: k-th best fast - fast_slack
    // Per row, from its bound B_x (pair part + its term + the other
    // block's largest term): B_x + rounding below the exact k-th, and
    // 2 B_x + rounding below the fast k-th.
    std::vector<Scalar> exact_slack, fast_slack;
    std::vector<Candidate> buffers;   // rows x capacity
    std::vector<std::int32_t> count;  // per row: candidates in its buffer
    TopKAccumulator<Scalar>* lists = nullptr;
    bool own_side = true;
    std::int64_t other_global0 = 0;  // global id of the other block's row 0
    void fit(std::int64_t rows, int k, int capacity);
    void set_slacks(const ExactRescore<Scalar>& rescore, bool own_block);
  };
  // Points the sides at this tile's lists and blocks (the assignment's
  // first tile: also their slacks).
  void attach(const TilePlace& place, TopKAccumulator<Scalar>& own, TopKAccumulator<Scalar>& visiting,
              ExactRescore<Scalar>& rescore);
  void keep(Side& side, std::int64_t row, Scalar fast, std::int64_t other);
  // Re-scores row `row`'s candidates still in reach, best first, and
  // empties its buffer.
  void rescore_row(Side& side, std::int64_t row);
  // A full buffer: re-scores its k best, keeps the rest still in reach.
  void rescore_best(Side& side, std::int64_t row);
  // The canonical score of a candidate in reach, offered to the exact list.
  void offer(Side& side, std::int64_t row, const Candidate& c);

  int k_;
  int capacity_;       // candidates buffered per row
  bool fresh_ = true;  // no tile of the current assignment scanned yet
  Side own_, visiting_;
  bool one_block_ = false;                   // own and visiting lists are one (a diagonal assignment): own_ serves both
  ExactRescore<Scalar>* rescore_ = nullptr;  // the current assignment's
};

}  // namespace ringsim
