#pragma once
// Where a rank's tiles are computed: the ring loop hands each block to a
// backend (upload) and walks the tile grid through it; for every tile the
// backend runs the GEMM and the fused selection and hands what it selected
// to the mode's consumer (tile_kernel.hpp). The CPU backend is the Eigen /
// OpenBLAS GEMM of tile_kernel.cpp with the consumer selecting on the host;
// the CUDA backend (kernels/cuda/, -DRINGSIM_CUDA) keeps both blocks and the
// tile on the GPU and selects there, so only k candidates per row, the pairs
// over a threshold, or (full mode) the tile itself come back.
//
// Worked example, P = 2, n = 1024, tile 256, rank 1 at step 1: upload_own(rows
// 512..1023), upload_visiting(rows 0..511); the assignment is own 0..512 x
// visiting 0..512, four grid tiles wide and four high; each tile's visiting
// rows come first in the matrix, so each is the GEMM visiting x own^T and
// reaches the consumer through consume_transposed, as on one rank.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernels/exact_rescore.hpp"
#include "kernels/gemm_backend.hpp"
#include "kernels/matrix.hpp"
#include "kernels/ring_schedule.hpp"
#include "kernels/score_bound.hpp"
#include "kernels/select_row.hpp"
#include "kernels/tile_kernel.hpp"

namespace ringsim {

// How a backend computes and decides its tiles.
struct TileRule {
  // Exact re-scoring (exact_rescore.hpp, cosine top-k and threshold): the
  // uploads are the rows as given; the backend normalises its own copy for
  // the GEMM and hands the consumers the canonical scores' rows and bound.
  // Off: the uploads are the rows the GEMM multiplies and its scores decide.
  bool exact = false;
  // With `exact`, float32 jobs: the GEMM on bfloat16 copies (oneDNN; on a
  // GPU, tensor cores), or (GPU only) on TF32 copies.
  bool bfloat16 = false;
  bool tf32 = false;
  // bfloat16 was chosen by --precision auto: a backend without native
  // bfloat16 takes float32 instead of refusing.
  bool automatic = false;
};

// Which library ran a float32 job's tile GEMMs under the exact rule on a
// CPU, and why: the GEMM only nominates candidates within B, which holds
// for any summation order, so either gives the same results.
struct F32GemmChoice {
  F32Gemm gemm = F32Gemm::openblas;
  // "measured": the faster on the job's tile shape (`rates`); "forced":
  // RINGSIM_F32_GEMM; "small block": too little work on this rank to repay
  // the timing; "no onednn": built without it.
  std::string by;
  F32GemmRates rates;
};

// What the report says about the rule a backend applied (exact only).
struct TileRuleReport {
  GemmPrecision precision = GemmPrecision::float32;
  double bound = 0;  // B for the job's d
  RescoreStats rescored;
  std::optional<F32GemmChoice> float32_gemm;  // CPU float32 jobs, once chosen
};

template <class Scalar>
class TileBackend {
 public:
  virtual ~TileBackend() = default;
  // What computes the tiles, for the report: "cpu" or "cuda".
  virtual std::string name() const = 0;
  // Upload of a block: `rows` is the own (visiting) operand of the tiles that
  // follow, until the next call. The caller keeps `rows` alive and unchanged
  // until then (a backend may read it while it computes).
  virtual void upload_own(const RowMatrix<Scalar>& rows) = 0;
  virtual void upload_visiting(const RowMatrix<Scalar>& rows) = 0;
  // GEMM of one tile and fused selection into `consumer`: own rows
  // [place.own_local, + m) x visiting rows [place.visiting_local, + nc). With
  // `visiting_first` (the visiting rows come first in the matrix) the GEMM is
  // visiting x own^T and the consumer gets consume_transposed, so a pair is
  // always the same product whoever computes it.
  virtual void tile(const TilePlace& place, std::int64_t m, std::int64_t nc, bool visiting_first,
                    TileConsumer<Scalar>& consumer) = 0;
  // Every tile given so far has reached its consumer (a backend may run
  // tiles ahead of their selection).
  virtual void flush() {}
  // The rule's figures, where the backend re-scores exactly.
  virtual std::optional<TileRuleReport> rule_report() const { return std::nullopt; }
};

class OnednnGemm;
struct Bf16Rows;

// The Eigen / OpenBLAS GEMM on this core (or oneDNN's: bfloat16 with
// rule.bfloat16; float32 under the exact rule where it measures faster, see
// F32GemmChoice); the consumer selects on the host.
template <class Scalar>
class CpuTileBackend final : public TileBackend<Scalar> {
 public:
  // `tile_edge`: the job's tile edge, the shape the float32 GEMMs are timed
  // on (capped by the rank's rows). Throws InputError for a bad or
  // unbuildable RINGSIM_F32_GEMM.
  explicit CpuTileBackend(TileRule rule = {}, std::int64_t tile_edge = 512);
  ~CpuTileBackend() override;
  std::string name() const override { return "cpu"; }
  void upload_own(const RowMatrix<Scalar>& rows) override;
  void upload_visiting(const RowMatrix<Scalar>& rows) override;
  void tile(const TilePlace& place, std::int64_t m, std::int64_t nc, bool visiting_first,
            TileConsumer<Scalar>& consumer) override;
  std::optional<TileRuleReport> rule_report() const override;

 private:
  // Exact rule: the GEMM's operand made from rows as given (normalised,
  // and for bfloat16 converted, once per upload); returns the rows' terms
  // of the bound (score_bound.hpp's row_term; none for float32/float64).
  std::vector<double> prepare(const RowMatrix<Scalar>& rows, RowMatrix<Scalar>& normalised,
                              std::unique_ptr<Bf16Rows>& bf16);
  // Exact float32 rule: picks the float32 GEMM at the first upload, whose
  // `rows` x `cols` block sizes the work the timing must repay.
  void choose_f32_gemm(std::int64_t rows, std::int64_t cols);
  // A tile by oneDNN, on `own` and `visiting` (Bf16Rows or float32 rows).
  template <class Rows>
  void onednn_tile(const Rows& own, const Rows& visiting, const TilePlace& place, std::int64_t m, std::int64_t nc,
                   bool visiting_first, TileConsumer<Scalar>& consumer);

  TileRule rule_;
  const RowMatrix<Scalar>* own_ = nullptr;  // what the GEMM multiplies
  const RowMatrix<Scalar>* visiting_ = nullptr;
  ColMatrix<Scalar> tile_;  // reused: one allocation for the whole ring
  // Exact rule only.
  std::optional<ExactRescore<Scalar>> rescore_;
  RowMatrix<Scalar> own_normalised_, visiting_normalised_;
  std::unique_ptr<Bf16Rows> own_bf16_, visiting_bf16_;
  std::unique_ptr<OnednnGemm> onednn_;  // bfloat16, or float32 where chosen
  std::int64_t tile_edge_;
  std::optional<F32Gemm> f32_forced_;        // RINGSIM_F32_GEMM
  std::optional<F32GemmChoice> f32_choice_;  // made at the first upload
};

// Runs every grid tile of `assignment` through `backend` (whose own and
// visiting blocks start at global rows own_global0 and visiting_global0);
// `after_tile` runs after each with its entry count. Returns the entries
// computed (each costs 2 * cols flops). The upper triangle only on a
// diagonal, unless the consumer wants the whole block (full mode).
template <class Scalar>
std::int64_t compute_assignment(TileBackend<Scalar>& backend, std::int64_t own_global0, std::int64_t visiting_global0,
                                const TileAssignment& assignment, const TileGrid& grid, TileConsumer<Scalar>& consumer,
                                const std::function<void(std::int64_t)>& after_tile);

// For a backend that selects elsewhere (select_row.hpp): the tile it computes
// for `place` (own rows [own_local, + m) x visiting rows [visiting_local,
// + nc)); with `visiting_first` its row side is the visiting block.
SelectTileShape select_shape(const TilePlace& place, std::int64_t m, std::int64_t nc, bool visiting_first);

// Offers a tile's selected candidates (select_tile_list's lists: shape.m row
// lists, then shape.nc column lists, k slots each, empty slots last) to the
// row side's and the column side's lists.
template <class Scalar>
void offer_selected(const SelectTileShape& shape, int k, const Scalar* scores, const std::int64_t* ids,
                    TopKAccumulator<Scalar>& rows, TopKAccumulator<Scalar>& columns);

// Exact re-scoring (TileRule::exact) for a backend that nominates
// candidates elsewhere: re-scores the `count` candidates of a tile
// computed for `place` (select_tile_list_candidates for top-k, the pairs
// at or above ThresholdConsumer::exact_bar for threshold; `shape` as
// select_shape gives it) and hands them to the top-k or threshold
// consumer, which decides on their canonical scores.
template <class Scalar>
void offer_candidates(const SelectTileShape& shape, const TilePlace& place, bool visiting_first,
                      const SelectCandidate* candidates, std::int64_t count, TileConsumer<Scalar>& consumer);

}  // namespace ringsim
