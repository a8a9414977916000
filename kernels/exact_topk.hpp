#pragma once
// Exact top-k from fast scores, one assignment (block pair) at a time.
// Re-scoring every pair that improves a list as the tiles stream by costs
// about k ln(n / k) canonical scores per row; instead each row keeps, for
// the assignment, the k best *fast* scores (admission) and every pair
// within 2B of their k-th (its candidates), and only when the assignment
// ends, its blocks still resident, re-scores the candidates still in
// reach and offers their canonical scores to the exact lists.
//
// Why nothing is missed: let f be a row's k-th best fast score in the
// assignment. Those k pairs score canonically >= f - B, so the row's exact
// k-th after this assignment is >= f - B (less 2^-25 for the float32
// rounding lists keep); a pair that enters has canonical >= that, and fast
// >= canonical - B >= f - 2B - 2^-24. The exact lists' own k-th h bounds it
// too: fast >= h - B - 2^-24. Candidates are kept below neither bar, with
// kCandidateRoundingSlack for the rounding of the bars themselves.
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
  ExactTopKCandidates(int k, double bound);

  // The candidates of one tile (tile(i, j): row-side row i, column-side
  // row j; `transposed`: the row side is the visiting block), judged
  // against the fast lists so far and the exact lists' k-th scores.
  void scan(const ColMatrix<Scalar>& tile, const TilePlace& place, bool transposed, const TopKAccumulator<Scalar>& own,
            const TopKAccumulator<Scalar>& visiting);
  // Re-scores the candidates still in reach and offers them to the exact
  // lists; forgets the assignment.
  void settle(TopKAccumulator<Scalar>& own, TopKAccumulator<Scalar>& visiting, ExactRescore<Scalar>& rescore);

 private:
  struct Candidate {
    Scalar fast;
    std::int64_t other;  // local row of the other block
  };
  // One block's rows: their k best fast scores (descending), the bar a
  // fast score must reach, and the candidates kept.
  struct Side {
    std::vector<Scalar> best;  // rows x k
    std::vector<Scalar> bar;   // per row: k-th best fast - fast_slack
    std::vector<std::vector<Candidate>> kept;
    std::vector<std::int64_t> touched;  // rows with candidates, to settle and reset
    void fit(std::int64_t rows, int k);
  };
  void keep(Side& side, std::int64_t row, Scalar fast, std::int64_t other);

  int k_;
  Scalar fast_slack_;   // 2B + rounding: below the fast k-th
  Scalar exact_slack_;  // B + rounding: below the exact k-th
  Side own_, visiting_;
  std::int64_t own_global0_ = 0, visiting_global0_ = 0;  // global id of each block's row 0
};

}  // namespace ringsim
