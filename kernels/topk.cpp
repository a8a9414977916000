#include "kernels/topk.hpp"

#include <algorithm>
#include <string>

#include "common/errors.hpp"
#include "kernels/select_row.hpp"

namespace ringsim {

static_assert(TopKAccumulator<float>::kEmptyId == kSelectEmptyId);

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
  // The same insertion the GPU's selection makes (select_row.hpp).
  Scalar* s = scores_.data() + row * k_;
  select_insert(s, ids_.data() + row * k_, k_, score, id);
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
      if (select_ranks_before(b_s[b], b_i[b], a_s[a], a_i[a])) {
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
