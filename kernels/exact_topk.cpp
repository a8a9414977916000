#include "kernels/exact_topk.hpp"

#include <algorithm>
#include <limits>

#include "kernels/score_bound.hpp"
#include "kernels/tile_kernel.hpp"

namespace ringsim {

namespace {

// Whether any score in [0, n) is a candidate for its row or the column:
// the row's fast bar and exact k-th, or the column's. Branch-free so it
// vectorises; almost every block of a tile is rejected here.
template <class Scalar>
__attribute__((target_clones("avx512f", "avx2", "default"))) bool any_exact_candidate(
    const Scalar* scores, const Scalar* row_bar, const Scalar* row_kth, std::int64_t n, Scalar column_bar,
    Scalar column_kth, Scalar exact_slack) {
  int hits = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const Scalar s = scores[i];
    const Scalar reach = s + exact_slack;
    hits |= ((s >= row_bar[i]) & (reach >= row_kth[i])) | ((s >= column_bar) & (reach >= column_kth));
  }
  return hits != 0;
}

}  // namespace

template <class Scalar>
ExactTopKCandidates<Scalar>::ExactTopKCandidates(int k, double bound)
    : k_(k),
      fast_slack_(static_cast<Scalar>(2 * bound + kCandidateRoundingSlack)),
      exact_slack_(static_cast<Scalar>(bound + kCandidateRoundingSlack)) {}

template <class Scalar>
void ExactTopKCandidates<Scalar>::Side::fit(std::int64_t rows, int k) {
  if (static_cast<std::int64_t>(bar.size()) == rows) return;
  best.assign(static_cast<std::size_t>(rows * k), -std::numeric_limits<Scalar>::infinity());
  bar.assign(static_cast<std::size_t>(rows), -std::numeric_limits<Scalar>::infinity());
  kept.assign(static_cast<std::size_t>(rows), {});
  touched.clear();
}

template <class Scalar>
void ExactTopKCandidates<Scalar>::keep(Side& side, std::int64_t row, Scalar fast, std::int64_t other) {
  auto& kept = side.kept[static_cast<std::size_t>(row)];
  if (kept.empty()) side.touched.push_back(row);
  kept.push_back({fast, other});
  // The k best fast scores, descending: insert, drop the last.
  Scalar* best = side.best.data() + row * k_;
  if (fast > best[k_ - 1]) {
    int at = k_ - 1;
    while (at > 0 && best[at - 1] < fast) {
      best[at] = best[at - 1];
      --at;
    }
    best[at] = fast;
    side.bar[static_cast<std::size_t>(row)] = best[k_ - 1] - fast_slack_;
  }
  // Drop what fell out of reach, now and then (amortised: the list at
  // most doubles between two passes).
  if (kept.size() >= static_cast<std::size_t>(4 * k_ + 16) && (kept.size() & (kept.size() - 1)) == 0) {
    const Scalar bar = side.bar[static_cast<std::size_t>(row)];
    kept.erase(std::remove_if(kept.begin(), kept.end(), [bar](const Candidate& c) { return c.fast < bar; }),
               kept.end());
  }
}

template <class Scalar>
void ExactTopKCandidates<Scalar>::scan(const ColMatrix<Scalar>& tile, const TilePlace& place, bool transposed,
                                       const TopKAccumulator<Scalar>& own, const TopKAccumulator<Scalar>& visiting) {
  own_.fit(own.rows(), k_);
  visiting_.fit(visiting.rows(), k_);
  own_global0_ = place.own_global0;
  visiting_global0_ = place.visiting_global0;
  Side& rows = transposed ? visiting_ : own_;
  Side& columns = transposed ? own_ : visiting_;
  const TopKAccumulator<Scalar>& row_lists = transposed ? visiting : own;
  const TopKAccumulator<Scalar>& column_lists = transposed ? own : visiting;
  const std::int64_t row_local = transposed ? place.visiting_local : place.own_local;
  const std::int64_t column_local = transposed ? place.own_local : place.visiting_local;
  constexpr std::int64_t kBlock = 64;
  const std::int64_t m = tile.rows();
  for (std::int64_t j = 0; j < tile.cols(); ++j) {
    const std::int64_t col = column_local + j;
    // On the diagonal only row-side rows before the column-side row count.
    const std::int64_t i_end = place.diagonal ? std::clamp<std::int64_t>(col - row_local, 0, m) : m;
    const Scalar* scores = tile.col(j).data();
    const Scalar* row_bar = rows.bar.data() + row_local;
    const Scalar* row_kth = row_lists.kth_scores() + row_local;
    const Scalar col_kth = column_lists.kth_score(col);
    for (std::int64_t block = 0; block < i_end; block += kBlock) {
      const std::int64_t block_end = std::min(block + kBlock, i_end);
      if (!any_exact_candidate(scores + block, row_bar + block, row_kth + block, block_end - block,
                               columns.bar[static_cast<std::size_t>(col)], col_kth, exact_slack_))
        continue;
      for (std::int64_t i = block; i < block_end; ++i) {
        const Scalar s = scores[i];
        const Scalar reach = s + exact_slack_;
        if (s >= row_bar[i] && reach >= row_kth[i]) keep(rows, row_local + i, s, col);
        if (s >= columns.bar[static_cast<std::size_t>(col)] && reach >= col_kth) keep(columns, col, s, row_local + i);
      }
    }
  }
}

template <class Scalar>
void ExactTopKCandidates<Scalar>::settle(TopKAccumulator<Scalar>& own, TopKAccumulator<Scalar>& visiting,
                                         ExactRescore<Scalar>& rescore) {
  for (const bool own_side : {true, false}) {
    Side& side = own_side ? own_ : visiting_;
    TopKAccumulator<Scalar>& lists = own_side ? own : visiting;
    for (const std::int64_t row : side.touched) {
      auto& kept = side.kept[static_cast<std::size_t>(row)];
      const Scalar bar = side.bar[static_cast<std::size_t>(row)];
      for (const Candidate& c : kept) {
        if (c.fast < bar || c.fast + exact_slack_ < lists.kth_score(row)) continue;
        const double score = own_side ? rescore.score(row, c.other) : rescore.score(c.other, row);
        const std::int64_t other_id = (own_side ? visiting_global0_ : own_global0_) + c.other;
        lists.offer(row, static_cast<Scalar>(static_cast<float>(score)), other_id);
      }
      kept.clear();
      std::fill_n(side.best.begin() + row * k_, k_, -std::numeric_limits<Scalar>::infinity());
      side.bar[static_cast<std::size_t>(row)] = -std::numeric_limits<Scalar>::infinity();
    }
    side.touched.clear();
  }
}

template class ExactTopKCandidates<float>;
template class ExactTopKCandidates<double>;

}  // namespace ringsim
