#include "engine/output_budget.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <cstring>

#include "common/errors.hpp"
#include "common/phase.hpp"
#include "transport/agreement.hpp"

namespace ringsim {

namespace {

constexpr double kNpyHeaderBytes = 128;
constexpr std::int64_t kSampleRows = 1024;

std::int64_t decimal_digits(std::int64_t v) {
  std::int64_t digits = 1;
  while (v >= 10) {
    v /= 10;
    ++digits;
  }
  return digits;
}

// About kSampleRows rows of a job's rows, each rank's `own` giving rows in
// proportion to its share, evenly spaced, with their global row numbers:
// every rank gets all of them.
template <class Scalar>
struct Sample {
  RowMatrix<Scalar> rows;
  std::vector<std::int64_t> ids;
};

template <class Scalar>
Sample<Scalar> gather_sample(const RowMatrix<Scalar>& own, const RowPartition& partition, const Communicator& comm) {
  const std::int64_t n = partition.rows(), rows = own.rows(), d = own.cols();
  const std::int64_t take = std::min<std::int64_t>(rows, (kSampleRows * rows + n - 1) / n);
  const std::size_t record = sizeof(std::int64_t) + sizeof(Scalar) * d;
  std::string mine(static_cast<std::size_t>(take) * record, '\0');
  char* out = mine.data();
  for (std::int64_t t = 0; t < take; ++t) {
    const std::int64_t local = (2 * t + 1) * rows / (2 * take);
    const std::int64_t global = partition.begin(comm.rank()) + local;
    std::memcpy(out, &global, sizeof global);
    out += sizeof global;
    std::memcpy(out, own.row(local).data(), sizeof(Scalar) * d);
    out += sizeof(Scalar) * d;
  }
  const auto all = comm.allgather(mine);
  std::int64_t sampled = 0;
  for (const auto& part : all) sampled += static_cast<std::int64_t>(part.size() / record);
  Sample<Scalar> sample{RowMatrix<Scalar>(sampled, d), std::vector<std::int64_t>(static_cast<std::size_t>(sampled))};
  std::int64_t row = 0;
  for (const auto& part : all)
    for (const char* in = part.data(); in < part.data() + part.size(); ++row) {
      std::memcpy(&sample.ids[row], in, sizeof(std::int64_t));
      in += sizeof(std::int64_t);
      std::memcpy(sample.rows.row(row).data(), in, sizeof(Scalar) * d);
      in += sizeof(Scalar) * d;
    }
  return sample;
}

// The sample's scores against `own` (global rows from `own0`) at or above
// `threshold`; with `same_rows` (all pairs) a sampled row's pair with itself
// left out.
template <class Scalar>
std::int64_t count_hits(const Sample<Scalar>& sample, const RowMatrix<Scalar>& own, std::int64_t own0, double threshold,
                        bool same_rows) {
  std::int64_t hits = 0;
  const std::int64_t rows = own.rows(), sampled = sample.rows.rows();
  constexpr std::int64_t kSlab = 4096;  // own rows per product: bounds the scores to sampled x 4096
  for (std::int64_t c0 = 0; c0 < rows && sampled > 0; c0 += kSlab) {
    const std::int64_t width = std::min(kSlab, rows - c0);
    const RowMatrix<Scalar> scores = sample.rows * own.middleRows(c0, width).transpose();
    for (std::int64_t s = 0; s < sampled; ++s)
      for (std::int64_t c = 0; c < width; ++c)
        if (scores(s, c) >= static_cast<Scalar>(threshold) && !(same_rows && own0 + c0 + c == sample.ids[s])) ++hits;
  }
  return hits;
}

}  // namespace

double topk_output_bytes(std::int64_t n, std::int64_t k) {
  return 2 * kNpyHeaderBytes + static_cast<double>(n) * static_cast<double>(k) * (8 + 4);
}

double full_output_bytes(std::int64_t n) {
  return kNpyHeaderBytes + static_cast<double>(n) * static_cast<double>(n) * 4;
}

std::int64_t pair_line_bytes(std::int64_t i, std::int64_t j) {
  return decimal_digits(i) + decimal_digits(j) + 2 + 10 + 1 + kPairRecordBytes;
}

void check_output_budget(double bytes, std::int64_t limit, const std::string& what) {
  if (bytes <= static_cast<double>(limit)) return;
  throw InputError(
      fmt::format("{} would write {:.3g} GiB, above --max-output-bytes {} ({:.3g} GiB); raise the limit "
                  "or ask for less",
                  what, bytes / (1 << 30), limit, static_cast<double>(limit) / (1 << 30)));
}

template <class Scalar>
ThresholdEstimate estimate_threshold_output(const RowMatrix<Scalar>& own, const RowPartition& partition,
                                            const Communicator& comm, double threshold,
                                            const QueryRows<Scalar>& queries) {
  const bool across = queries.own != nullptr;
  const RowPartition& sampled_partition = across ? *queries.partition : partition;
  const std::int64_t n = partition.rows(), rows_out = sampled_partition.rows();
  // Each sampled row's candidates: every corpus row, or every other row.
  const std::int64_t candidates = across ? n : n - 1;
  ThresholdEstimate estimate;
  if (candidates < 1 || rows_out < 1) return estimate;
  const Sample<Scalar> sample = gather_sample(across ? *queries.own : own, sampled_partition, comm);
  std::int64_t hits = 0;
  for (const std::int64_t h : comm.allgather(count_hits(sample, own, partition.begin(comm.rank()), threshold, !across)))
    hits += h;
  const auto sampled = static_cast<double>(sample.rows.rows());
  if (sampled == 0) return estimate;
  const double fraction = static_cast<double>(hits) / (sampled * static_cast<double>(candidates));
  estimate.sample_rows = sample.rows.rows();
  // All pairs: each pair once.
  estimate.pairs = fraction * static_cast<double>(rows_out) * static_cast<double>(candidates) / (across ? 1 : 2);
  estimate.bytes = estimate.pairs * static_cast<double>(pair_line_bytes(rows_out - 1, n - 1));
  return estimate;
}

template ThresholdEstimate estimate_threshold_output<float>(const RowMatrix<float>&, const RowPartition&,
                                                            const Communicator&, double, const QueryRows<float>&);
template ThresholdEstimate estimate_threshold_output<double>(const RowMatrix<double>&, const RowPartition&,
                                                             const Communicator&, double, const QueryRows<double>&);

template <class Scalar>
void plan_threshold_output(const RowMatrix<Scalar>& own, const RowPartition& partition, const Communicator& comm,
                           double threshold, std::int64_t limit, const QueryRows<Scalar>& queries) {
  PhaseScope phase("plan");
  const auto estimate = estimate_threshold_output(own, partition, comm, threshold, queries);
  const std::string among = queries.partition ? fmt::format("{} queries against ", queries.partition->rows()) : "";
  // Every rank computed the same estimate: an agreed refusal.
  try {
    check_output_budget(estimate.bytes, limit,
                        fmt::format("--mode threshold --threshold {} (about "
                                    "{:.3g} pairs of {}n = {}, estimated "
                                    "from {} sampled rows)",
                                    threshold, estimate.pairs, among, partition.rows(), estimate.sample_rows));
  } catch (const InputError& e) {
    throw AgreedFailure(e.what());
  }
}

std::string pair_cap_message(std::int64_t max_pairs) {
  return fmt::format(
      "found more than {} pairs, the most one rank may hold under --max-output-bytes (the estimate before the ring "
      "was low); nothing was written; raise --max-output-bytes or the threshold",
      max_pairs);
}

void check_threshold_output(const ThresholdOutputHere& here, const Communicator& comm, double threshold, std::int64_t n,
                            std::int64_t limit) {
  const auto all = comm.allgather(std::vector<std::int64_t>{static_cast<std::int64_t>(here.bytes), here.over_cap});
  double bytes = 0;
  std::vector<int> over_cap;
  for (int rank = 0; rank < static_cast<int>(all.size()); ++rank) {
    bytes += static_cast<double>(all[rank].at(0));
    if (all[rank].at(1) != 0) over_cap.push_back(rank);
  }
  if (!over_cap.empty())
    throw AgreedFailure(fmt::format("--mode threshold --threshold {} (n = {}, --max-output-bytes {}): rank{} {} {}",
                                    threshold, n, limit, over_cap.size() > 1 ? "s" : "", fmt::join(over_cap, ", "),
                                    pair_cap_message(max_pairs_per_rank(limit))));
  try {
    check_output_budget(bytes, limit, fmt::format("--mode threshold --threshold {} (n = {})", threshold, n));
  } catch (const InputError& e) {
    throw AgreedFailure(e.what());
  }
}

template void plan_threshold_output<float>(const RowMatrix<float>&, const RowPartition&, const Communicator&, double,
                                           std::int64_t, const QueryRows<float>&);
template void plan_threshold_output<double>(const RowMatrix<double>&, const RowPartition&, const Communicator&, double,
                                            std::int64_t, const QueryRows<double>&);

}  // namespace ringsim
