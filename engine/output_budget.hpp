#pragma once
// How many bytes a job's result files will take, checked against
// --max-output-bytes before any computing starts: a typo such as
// `--threshold -2` must not fill a disk (and rank 0's memory) after hours.
//
// topk and full sizes follow from n, k; threshold mode's depends on the
// data, so it is estimated from a sample of rows scored against every row
// (about 1024 rows: ~1024 / n of the job's work; a queries job samples its
// queries and scores them against the corpus), and checked exactly after the
// ring, before anything is written.
#include <cstdint>
#include <string>

#include "kernels/matrix.hpp"
#include "kernels/partition.hpp"
#include "transport/communicator.hpp"

namespace ringsim {

// Exact sizes of the topk (neighbors.npy + scores.npy) and full outputs.
double topk_output_bytes(std::int64_t n, std::int64_t k);
double full_output_bytes(std::int64_t n);

// Bytes of one record of pairs.npy: i, j (int64) and the score (float32).
constexpr std::int64_t kPairRecordBytes = 20;
// Bytes one pair costs in the output: its pairs.csv line for ids i, j (the
// score taken as 10 bytes, typical of a shortest round-trip float in
// [-1, 1]) and its pairs.npy record.
std::int64_t pair_line_bytes(std::int64_t i, std::int64_t j);
// The most pairs one rank may hold under --max-output-bytes `limit`. No
// pair costs less than 6 bytes of pairs.csv ("0,1,1\n") and its pairs.npy
// record: a rank holding more is over the limit whatever the others hold.
constexpr std::int64_t max_pairs_per_rank(std::int64_t limit) { return limit / (6 + kPairRecordBytes); }

struct ThresholdEstimate {
  double pairs = 0;
  double bytes = 0;
  std::int64_t sample_rows = 0;
};

// A queries job's queries: this rank's normalised rows of them and their
// partition; both null in an all-pairs job.
template <class Scalar>
struct QueryRows {
  const RowMatrix<Scalar>* own = nullptr;
  const RowPartition* partition = nullptr;
};

// Collective. `own`: this rank's normalised rows of the input (a queries
// job's corpus). All pairs count each pair once and none of a row with
// itself; with `queries`, every query is paired with every corpus row.
template <class Scalar>
ThresholdEstimate estimate_threshold_output(const RowMatrix<Scalar>& own, const RowPartition& partition,
                                            const Communicator& comm, double threshold,
                                            const QueryRows<Scalar>& queries = {});

// Throws InputError if `bytes` exceed `limit`; `what` describes the output.
void check_output_budget(double bytes, std::int64_t limit, const std::string& what);

// What a rank over its cap of `max_pairs` found, and what to do; follows
// the culprit's name.
std::string pair_cap_message(std::int64_t max_pairs);

// Threshold mode, collective: refuses (AgreedFailure) a threshold whose
// estimated output exceeds `limit` before the ring ...
template <class Scalar>
void plan_threshold_output(const RowMatrix<Scalar>& own, const RowPartition& partition, const Communicator& comm,
                           double threshold, std::int64_t limit, const QueryRows<Scalar>& queries = {});
// ... and after it, where the estimate may have been low: the real size,
// every rank's `bytes` summed, and whether any rank found more pairs than
// max_pairs_per_rank(limit) (`over_cap`: it stopped keeping them, so its
// bytes undercount). Agreed after the ring rather than after each step: a
// per-step collective would hold every step to the slowest rank (the ring
// otherwise lets ranks drift a step apart, and --balance measured shares
// steps), for a failure that a sound estimate makes rare; a rank over its
// cap stops storing and scanning pairs, so memory stays bounded and the
// rest of the ring costs only its products. (With checkpoints the rank's
// next save, itself agreed, fails the job first: engine/modes/threshold.cpp.)
struct ThresholdOutputHere {
  double bytes = 0;
  bool over_cap = false;
};
void check_threshold_output(const ThresholdOutputHere& here, const Communicator& comm, double threshold, std::int64_t n,
                            std::int64_t limit);

}  // namespace ringsim
