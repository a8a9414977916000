#include "tests/engine/job_outputs.hpp"

#include <filesystem>
#include <vector>

namespace ringsim::testing {

namespace {

std::string check_outputs(const Dense& s, std::int64_t rows, const RunOptions& o, Tolerance tolerance, bool exact_ids,
                          Pairs pairs) {
  std::string verdict;
  std::vector<std::int64_t> shape;
  if (o.mode == Mode::topk) {
    TopKResult result{rows, o.k, read_npy<std::int64_t>(o.out + "/neighbors.npy", shape), {}};
    if (shape != std::vector<std::int64_t>{rows, o.k}) return "neighbors.npy of another shape";
    result.scores = read_npy<float>(o.out + "/scores.npy", shape);
    verdict = check_topk(s, result, tolerance, exact_ids, pairs);
  } else if (o.mode == Mode::full) {
    verdict = check_full(s, read_npy<float>(o.out + "/similarity.npy", shape), tolerance);
  } else {
    verdict = check_threshold(s, read_pairs_csv(o.out + "/pairs.csv"), o.threshold, tolerance, pairs);
  }
  if (!std::filesystem::exists(o.out + "/report.json")) verdict += "; no report.json";
  return verdict;
}

}  // namespace

std::string check_job_outputs(const Dense& x, const RunOptions& o, Tolerance tolerance, bool exact_ids) {
  return check_outputs(reference_similarity(x), x.rows(), o, tolerance, exact_ids, Pairs::within);
}

std::string check_query_outputs(const Dense& queries, const Dense& corpus, const RunOptions& o, Tolerance tolerance,
                                bool exact_ids) {
  return check_outputs(reference_similarity(queries, corpus), queries.rows(), o, tolerance, exact_ids, Pairs::across);
}

}  // namespace ringsim::testing
