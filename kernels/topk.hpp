#pragma once
// The k best (score, id) candidates per row, kept sorted.
//
// Order: higher score first; equal scores by smaller id. This is a strict
// total order on distinct ids, so the result does not depend on the order in
// which candidates arrive: ranks can merge partial lists in any order and
// still agree bit for bit. Empty slots hold score -inf and id kEmptyId,
// which every real candidate beats.
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

namespace ringsim {

template <class Scalar>
class TopKAccumulator {
 public:
  static constexpr std::int64_t kEmptyId = std::numeric_limits<std::int64_t>::max();

  TopKAccumulator(std::int64_t rows, int k);

  std::int64_t rows() const { return rows_; }
  int k() const { return k_; }

  // The k-th best score of `row` so far; anything below it cannot enter.
  // Contiguous over rows so a tile scan can reject candidates in bulk.
  const Scalar* kth_scores() const { return kth_.data(); }
  Scalar kth_score(std::int64_t row) const { return kth_[row]; }

  // Offers candidate `id` with `score` to `row`; keeps it if it ranks in the top k.
  void offer(std::int64_t row, Scalar score, std::int64_t id) {
    if (score < kth_[row]) return;
    insert(row, score, id);
  }

  // Raises each row's admission bar to `floor[row]` (a lower bound on that
  // row's final k-th score, known elsewhere): candidates below it can never
  // reach the final list, so they are not kept here either. Such a list may
  // end up with fewer than k entries; merging handles that.
  void raise_floor(std::span<const Scalar> floor);

  // Row-wise union of two accumulators of the same shape, keeping the top k.
  void merge(const TopKAccumulator& other);

  // Raw storage (rows x k, row-major), e.g. to send over a transport.
  std::span<Scalar> score_data() { return scores_; }
  std::span<std::int64_t> id_data() { return ids_; }
  std::span<const Scalar> score_data() const { return scores_; }
  std::span<const std::int64_t> id_data() const { return ids_; }
  // Recomputes the k-th score cache after the raw storage was overwritten.
  void refresh_kth();

  std::int64_t id(std::int64_t row, int slot) const { return ids_[row * k_ + slot]; }
  Scalar score(std::int64_t row, int slot) const { return scores_[row * k_ + slot]; }

 private:
  void insert(std::int64_t row, Scalar score, std::int64_t id);

  std::int64_t rows_;
  int k_;
  std::vector<Scalar> scores_;
  std::vector<std::int64_t> ids_;
  std::vector<Scalar> kth_;
};

}  // namespace ringsim
