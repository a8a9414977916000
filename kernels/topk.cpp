#include "kernels/topk.hpp"

#include <algorithm>
#include <string>

#include "common/errors.hpp"

namespace ringsim {

namespace {
template <class Scalar>
bool ranks_before(Scalar score_a, std::int64_t id_a, Scalar score_b, std::int64_t id_b) {
  return score_a > score_b || (score_a == score_b && id_a < id_b);
}
}  // namespace

template <class Scalar>
TopKAccumulator<Scalar>::TopKAccumulator(std::int64_t rows, int k)
    : rows_(rows),
      k_(k),
      scores_(static_cast<std::size_t>(rows * k), -std::numeric_limits<Scalar>::infinity()),
      ids_(static_cast<std::size_t>(rows * k), kEmptyId),
      kth_(static_cast<std::size_t>(rows), -std::numeric_limits<Scalar>::infinity()) {
  if (k < 1) throw InputError("k must be >= 1, got " + std::to_string(k));
}

template <class Scalar>
void TopKAccumulator<Scalar>::insert(std::int64_t row, Scalar score, std::int64_t id) {
  Scalar* s = scores_.data() + row * k_;
  std::int64_t* ids = ids_.data() + row * k_;
  if (!ranks_before(score, id, s[k_ - 1], ids[k_ - 1])) return;
  int slot = k_ - 1;
  // Shift worse entries down one slot until the candidate's place is found.
  while (slot > 0 && ranks_before(score, id, s[slot - 1], ids[slot - 1])) {
    s[slot] = s[slot - 1];
    ids[slot] = ids[slot - 1];
    --slot;
  }
  s[slot] = score;
  ids[slot] = id;
  kth_[row] = std::max(kth_[row], s[k_ - 1]);  // never below a raised floor
}

template <class Scalar>
void TopKAccumulator<Scalar>::raise_floor(std::span<const Scalar> floor) {
  RINGSIM_ENFORCE(static_cast<std::int64_t>(floor.size()) == rows_, "floor has the wrong length");
  for (std::int64_t row = 0; row < rows_; ++row) kth_[row] = std::max(kth_[row], floor[row]);
}

template <class Scalar>
void TopKAccumulator<Scalar>::merge(const TopKAccumulator& other) {
  RINGSIM_ENFORCE(other.rows_ == rows_ && other.k_ == k_, "merging accumulators of different shape");
  std::vector<Scalar> merged_scores(k_);
  std::vector<std::int64_t> merged_ids(k_);
  for (std::int64_t row = 0; row < rows_; ++row) {
    const Scalar* a_s = scores_.data() + row * k_;
    const std::int64_t* a_i = ids_.data() + row * k_;
    const Scalar* b_s = other.scores_.data() + row * k_;
    const std::int64_t* b_i = other.ids_.data() + row * k_;
    int a = 0, b = 0;
    for (int out = 0; out < k_; ++out) {
      if (ranks_before(b_s[b], b_i[b], a_s[a], a_i[a])) {
        merged_scores[out] = b_s[b];
        merged_ids[out] = b_i[b++];
      } else {
        merged_scores[out] = a_s[a];
        merged_ids[out] = a_i[a++];
      }
    }
    std::copy(merged_scores.begin(), merged_scores.end(), scores_.begin() + row * k_);
    std::copy(merged_ids.begin(), merged_ids.end(), ids_.begin() + row * k_);
    kth_[row] = merged_scores[k_ - 1];
  }
}

template <class Scalar>
void TopKAccumulator<Scalar>::refresh_kth() {
  for (std::int64_t row = 0; row < rows_; ++row) kth_[row] = scores_[row * k_ + k_ - 1];
}

template class TopKAccumulator<float>;
template class TopKAccumulator<double>;

}  // namespace ringsim
