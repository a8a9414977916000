#include "kernels/exact_topk.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

#include "common/errors.hpp"
#include "kernels/score_bound.hpp"
#include "kernels/tile_kernel.hpp"

namespace ringsim {

namespace {

constexpr std::int64_t kBlock = 64;  // scores judged at once; a multiple of 8

// Flags each score in [0, n) that is a candidate for its row (bit 0: the
// row's fast bar and exact k-th) or for the column (bit 1, against the
// column's bars as they stand now: they only rise, so a set bit is checked
// again when its turn comes). Returns whether any flag is set. Branch-free
// so it vectorises; almost every block of a tile has none.
template <class Scalar>
__attribute__((target_clones("avx512f", "avx2", "default"))) bool flag_exact_candidates(
    const Scalar* scores, const Scalar* row_bar, const Scalar* row_kth, const Scalar* row_slack, std::int64_t n,
    Scalar column_bar, Scalar column_kth, Scalar column_slack, std::uint8_t* flags) {
  int hits = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const Scalar s = scores[i];
    const int flag = ((s >= row_bar[i]) & (s + row_slack[i] >= row_kth[i])) |
                     (((s >= column_bar) & (s + column_slack >= column_kth)) << 1);
    flags[i] = static_cast<std::uint8_t>(flag);
    hits |= flag;
  }
  return hits != 0;
}

template <class Scalar>
constexpr Scalar kLowest = -std::numeric_limits<Scalar>::infinity();

}  // namespace

template <class Scalar>
ExactTopKCandidates<Scalar>::ExactTopKCandidates(int k) : k_(k), capacity_(std::clamp(8 * k + 64, 64, 512)) {}

template <class Scalar>
void ExactTopKCandidates<Scalar>::Side::fit(std::int64_t rows, int k, int capacity) {
  if (static_cast<std::int64_t>(bar.size()) == rows) return;
  // Candidates name their other row in 32 bits (blocks are far smaller).
  RINGSIM_ENFORCE(rows <= std::numeric_limits<std::int32_t>::max(), "a block of more than 2^31 rows");
  best.assign(static_cast<std::size_t>(rows * k), kLowest<Scalar>);
  bar.assign(static_cast<std::size_t>(rows), kLowest<Scalar>);
  buffers.resize(static_cast<std::size_t>(rows * capacity));
  count.assign(static_cast<std::size_t>(rows), 0);
  exact_slack.resize(static_cast<std::size_t>(rows));
  fast_slack.resize(static_cast<std::size_t>(rows));
}

template <class Scalar>
void ExactTopKCandidates<Scalar>::Side::set_slacks(const ExactRescore<Scalar>& rescore, bool own_block) {
  const double other_max = own_block ? rescore.visiting_term_max() : rescore.own_term_max();
  const double own_max = own_block ? rescore.own_term_max() : rescore.visiting_term_max();
  // Lists may have more rows than the block now resident (a list sized for
  // the largest block of a ring): those rows take no part in this
  // assignment and get the block's largest term.
  const std::int64_t block_rows = own_block ? rescore.own_rows() : rescore.visiting_rows();
  for (std::size_t row = 0; row < bar.size(); ++row) {
    const auto r = static_cast<std::int64_t>(row);
    const double term = r >= block_rows ? own_max : (own_block ? rescore.own_term(r) : rescore.visiting_term(r));
    const double bound = rescore.pair_bound() + term + other_max;
    exact_slack[row] = static_cast<Scalar>(bound + kCandidateRoundingSlack);
    fast_slack[row] = static_cast<Scalar>(2 * bound + kCandidateRoundingSlack);
  }
}

template <class Scalar>
void ExactTopKCandidates<Scalar>::keep(Side& side, std::int64_t row, Scalar fast, std::int64_t other) {
  // The k best fast scores, descending: insert, drop the last.
  Scalar* best = side.best.data() + row * k_;
  if (fast > best[k_ - 1]) {
    int at = k_ - 1;
    while (at > 0 && best[at - 1] < fast) {
      best[at] = best[at - 1];
      --at;
    }
    best[at] = fast;
    side.bar[static_cast<std::size_t>(row)] = best[k_ - 1] - side.fast_slack[static_cast<std::size_t>(row)];
  }
  Candidate* buffer = side.buffers.data() + row * capacity_;
  std::int32_t& count = side.count[static_cast<std::size_t>(row)];
  if (count == capacity_) {
    const Scalar bar = side.bar[static_cast<std::size_t>(row)];
    count = static_cast<std::int32_t>(
        std::remove_if(buffer, buffer + count, [bar](const Candidate& c) { return c.fast < bar; }) - buffer);
    if (count > capacity_ / 2) rescore_best(side, row);
  }
  buffer[count++] = {fast, static_cast<std::int32_t>(other)};
}

template <class Scalar>
void ExactTopKCandidates<Scalar>::rescore_row(Side& side, std::int64_t row) {
  Candidate* buffer = side.buffers.data() + row * capacity_;
  std::int32_t& count = side.count[static_cast<std::size_t>(row)];
  std::sort(buffer, buffer + count, [](const Candidate& a, const Candidate& b) { return a.fast > b.fast; });
  const Scalar bar = side.bar[static_cast<std::size_t>(row)];
  const Scalar slack = side.exact_slack[static_cast<std::size_t>(row)];
  TopKAccumulator<Scalar>& lists = *side.lists;
  for (const Candidate* c = buffer; c != buffer + count; ++c) {
    // Below either bar: so is every later one.
    if (c->fast < bar || c->fast + slack < lists.kth_score(row)) break;
    offer(side, row, *c);
  }
  count = 0;
}

template <class Scalar>
void ExactTopKCandidates<Scalar>::rescore_best(Side& side, std::int64_t row) {
  Candidate* buffer = side.buffers.data() + row * capacity_;
  std::int32_t& count = side.count[static_cast<std::size_t>(row)];
  // The k best fast scores to the exact list, then only what is in reach
  // of its k-th stays; a buffer that is still over half full is re-scored.
  const std::int32_t best = std::min(count, k_);
  std::partial_sort(buffer, buffer + best, buffer + count,
                    [](const Candidate& a, const Candidate& b) { return a.fast > b.fast; });
  TopKAccumulator<Scalar>& lists = *side.lists;
  for (std::int32_t c = 0; c < best; ++c) offer(side, row, buffer[c]);
  const Scalar kth = lists.kth_score(row);
  const Scalar slack = side.exact_slack[static_cast<std::size_t>(row)];
  count = static_cast<std::int32_t>(
      std::remove_if(buffer + best, buffer + count, [&](const Candidate& c) { return c.fast + slack < kth; }) - buffer);
  std::move(buffer + best, buffer + count, buffer);
  count -= best;
  if (count > capacity_ / 2) rescore_row(side, row);
}

template <class Scalar>
void ExactTopKCandidates<Scalar>::offer(Side& side, std::int64_t row, const Candidate& c) {
  TopKAccumulator<Scalar>& lists = *side.lists;
  if (c.fast + side.exact_slack[static_cast<std::size_t>(row)] < lists.kth_score(row)) return;
  const double score = side.own_side ? rescore_->score(row, c.other) : rescore_->score(c.other, row);
  lists.offer(row, static_cast<Scalar>(static_cast<float>(score)), side.other_global0 + c.other);
}

template <class Scalar>
void ExactTopKCandidates<Scalar>::attach(const TilePlace& place, TopKAccumulator<Scalar>& own,
                                         TopKAccumulator<Scalar>& visiting, ExactRescore<Scalar>& rescore) {
  rescore_ = &rescore;
  // A diagonal assignment (one block against itself) keeps one list: each
  // row's k best fast scores over all its pairs, not two halves with a
  // lower bar each.
  one_block_ = &own == &visiting;
  Side& visiting_side = one_block_ ? own_ : visiting_;
  own_.fit(own.rows(), k_, capacity_);
  visiting_side.fit(visiting.rows(), k_, capacity_);
  own_.lists = &own;
  own_.own_side = true;
  own_.other_global0 = place.visiting_global0;
  if (!one_block_) {
    visiting_.lists = &visiting;
    visiting_.own_side = false;
    visiting_.other_global0 = place.own_global0;
  }
  if (fresh_) {
    // The assignment's first tile: its blocks' terms are known now.
    own_.set_slacks(rescore, true);
    if (!one_block_) visiting_.set_slacks(rescore, false);
    fresh_ = false;
  }
}

template <class Scalar>
void ExactTopKCandidates<Scalar>::scan(const ColMatrix<Scalar>& tile, const TilePlace& place, bool transposed,
                                       TopKAccumulator<Scalar>& own, TopKAccumulator<Scalar>& visiting,
                                       ExactRescore<Scalar>& rescore) {
  attach(place, own, visiting, rescore);
  Side& visiting_side = one_block_ ? own_ : visiting_;
  Side& rows = transposed ? visiting_side : own_;
  Side& columns = transposed ? own_ : visiting_side;
  const TopKAccumulator<Scalar>& row_lists = transposed ? visiting : own;
  const TopKAccumulator<Scalar>& column_lists = transposed ? own : visiting;
  const std::int64_t row_local = transposed ? place.visiting_local : place.own_local;
  const std::int64_t column_local = transposed ? place.own_local : place.visiting_local;
  const std::int64_t m = tile.rows();
  alignas(64) std::uint8_t flags[kBlock];
  for (std::int64_t j = 0; j < tile.cols(); ++j) {
    const std::int64_t col = column_local + j;
    // On the diagonal only row-side rows before the column-side row count.
    const std::int64_t i_end = place.diagonal ? std::clamp<std::int64_t>(col - row_local, 0, m) : m;
    const Scalar* scores = tile.col(j).data();
    const Scalar* row_bar = rows.bar.data() + row_local;
    const Scalar* row_kth = row_lists.kth_scores() + row_local;
    const Scalar* row_slack = rows.exact_slack.data() + row_local;
    const Scalar& col_bar = columns.bar[static_cast<std::size_t>(col)];
    const Scalar col_slack = columns.exact_slack[static_cast<std::size_t>(col)];
    for (std::int64_t block = 0; block < i_end; block += kBlock) {
      const std::int64_t n = std::min(kBlock, i_end - block);
      // The column's exact k-th as it stands (re-scoring the column's row raises it).
      const Scalar col_kth = column_lists.kth_score(col);
      if (!flag_exact_candidates(scores + block, row_bar + block, row_kth + block, row_slack + block, n, col_bar,
                                 col_kth, col_slack, flags))
        continue;
      std::fill(flags + n, flags + kBlock, std::uint8_t{0});
      // Only the flagged scores, eight flags a word.
      for (std::int64_t word_at = 0; word_at < n; word_at += 8) {
        std::uint64_t word;
        std::memcpy(&word, flags + word_at, sizeof word);
        while (word != 0) {
          const int byte = __builtin_ctzll(word) / 8;
          word &= ~(std::uint64_t{0xff} << (8 * byte));
          const std::int64_t i = block + word_at + byte;
          const Scalar s = scores[i];
          if (flags[i - block] & 1) keep(rows, row_local + i, s, col);
          if ((flags[i - block] & 2) && s >= col_bar && s + col_slack >= column_lists.kth_score(col))
            keep(columns, col, s, row_local + i);
        }
      }
    }
  }
}

template <class Scalar>
void ExactTopKCandidates<Scalar>::settle(ExactRescore<Scalar>& rescore) {
  rescore_ = &rescore;
  for (Side* side : {&own_, &visiting_}) {
    if (side == &visiting_ && one_block_) continue;
    const std::int64_t rows = static_cast<std::int64_t>(side->count.size());
    for (std::int64_t row = 0; row < rows; ++row)
      if (side->count[static_cast<std::size_t>(row)] > 0) rescore_row(*side, row);
    std::fill(side->best.begin(), side->best.end(), kLowest<Scalar>);
    std::fill(side->bar.begin(), side->bar.end(), kLowest<Scalar>);
  }
  fresh_ = true;
}

template class ExactTopKCandidates<float>;
template class ExactTopKCandidates<double>;

}  // namespace ringsim
