#include "tests/reference.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <numeric>
#include <random>
#include <sstream>

#include "engine/io/npy.hpp"

namespace ringsim::testing {

Dense reference_similarity(const RowMatrix<float>& x) { return reference_similarity(Dense(x.cast<double>())); }

namespace {
Dense normalized(Dense y) {
  for (Eigen::Index r = 0; r < y.rows(); ++r) {
    const double norm = y.row(r).norm();
    if (norm > 0) y.row(r) /= norm;
  }
  return y;
}
}  // namespace

Dense reference_similarity(const Dense& x) {
  const Dense y = normalized(x);
  return y * y.transpose();
}

Dense reference_similarity(const Dense& queries, const Dense& corpus) {
  return normalized(queries) * normalized(corpus).transpose();
}

bool close_enough(double got, double want, Tolerance tolerance) {
  if (!std::isfinite(got) || !std::isfinite(want)) return false;
  return std::abs(got - want) <= tolerance.absolute + tolerance.relative * std::abs(want);
}

namespace {
// A score in messages, to the digits that tell float32 from float64 apart
// (std::to_string shows 1e-8 as 0.000000).
std::string number(double value) {
  std::ostringstream out;
  out << std::setprecision(9) << value;
  return out.str();
}

// The largest difference `tol` allows next to `value`: the width of the band
// around a threshold inside which presence is not decided.
double margin(double value, Tolerance tol) { return tol.absolute + tol.relative * std::abs(value); }
}  // namespace

std::string check_topk(const Dense& s, const TopKResult& result, Tolerance tol, bool exact_ids, Pairs pairs) {
  const std::int64_t n = s.rows();
  const int k = result.k;
  const bool within = pairs == Pairs::within;
  if (result.n != n) return "row count " + std::to_string(result.n) + " != " + std::to_string(n);
  for (std::int64_t i = 0; i < n; ++i) {
    // Reference order: score descending, then smaller id.
    std::vector<std::int64_t> order;
    for (std::int64_t j = 0; j < s.cols(); ++j)
      if (!within || j != i) order.push_back(j);
    std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return s(i, a) > s(i, b); });
    const std::string where = "row " + std::to_string(i) + ": ";
    std::vector<std::int64_t> seen;
    for (int t = 0; t < k; ++t) {
      const std::int64_t id = result.ids[i * k + t];
      const float score = result.scores[i * k + t];
      if (t >= static_cast<int>(order.size())) {
        if (id != -1 || !std::isnan(score)) return where + "slot " + std::to_string(t) + " should be padding";
        continue;
      }
      if (id < 0 || id >= s.cols() || (within && id == i)) return where + "bad id " + std::to_string(id);
      if (std::find(seen.begin(), seen.end(), id) != seen.end()) return where + "repeated id " + std::to_string(id);
      seen.push_back(id);
      if (!close_enough(score, s(i, id), tol))
        return where + "score " + number(score) + " of id " + std::to_string(id) + " is wrong";
      if (!close_enough(score, s(i, order[t]), tol))
        return where + "slot " + std::to_string(t) + " score " + number(score) + " but reference " +
               number(s(i, order[t]));
      if (t > 0 && score > result.scores[i * k + t - 1]) return where + "scores not descending";
      if (exact_ids && id != order[t])
        return where + "slot " + std::to_string(t) + " id " + std::to_string(id) + " but reference " +
               std::to_string(order[t]);
    }
  }
  return "";
}

std::string check_full(const Dense& s, const std::vector<float>& full, Tolerance tol) {
  const std::int64_t n = s.rows();
  if (static_cast<std::int64_t>(full.size()) != n * n) return "wrong size";
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < n; ++j)
      if (!close_enough(full[i * n + j], s(i, j), tol))
        return "entry (" + std::to_string(i) + "," + std::to_string(j) + ") = " + number(full[i * n + j]) +
               ", reference " + number(s(i, j));
  return "";
}

std::string check_threshold(const Dense& s, const std::vector<Pair>& pairs, double threshold, Tolerance tol,
                            Pairs space) {
  const double band = margin(threshold, tol);
  const bool within = space == Pairs::within;
  for (std::size_t p = 0; p < pairs.size(); ++p) {
    const auto& pair = pairs[p];
    const std::string where = "pair (" + std::to_string(pair.i) + "," + std::to_string(pair.j) + "): ";
    if ((within && !(pair.i < pair.j)) || pair.i < 0 || pair.i >= s.rows() || pair.j < 0 || pair.j >= s.cols())
      return where + "bad ids";
    if (p > 0 && !(std::make_pair(pairs[p - 1].i, pairs[p - 1].j) < std::make_pair(pair.i, pair.j)))
      return where + "not sorted by (i, j)";
    if (!close_enough(pair.score, s(pair.i, pair.j), tol))
      return where + "score " + number(pair.score) + " but reference " + number(s(pair.i, pair.j));
    if (!(s(pair.i, pair.j) >= threshold - band)) return where + "below the threshold";
  }
  for (std::int64_t i = 0; i < s.rows(); ++i)
    for (std::int64_t j = within ? i + 1 : 0; j < s.cols(); ++j)
      if (!std::isfinite(s(i, j)))
        return "reference (" + std::to_string(i) + "," + std::to_string(j) + ") is not finite";
      else if (s(i, j) >= threshold + band &&
               !std::binary_search(pairs.begin(), pairs.end(), Pair{i, j, 0}, [](const Pair& a, const Pair& b) {
                 return std::make_pair(a.i, a.j) < std::make_pair(b.i, b.j);
               }))
        return "missing pair (" + std::to_string(i) + "," + std::to_string(j) + ")";
  return "";
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

template <class T>
std::vector<T> read_npy(const std::string& path, std::vector<std::int64_t>& shape) {
  const NpyHeader header = read_npy_header(path);
  shape = header.shape;
  std::int64_t count = 1;
  for (auto e : shape) count *= e;
  std::vector<T> data(static_cast<std::size_t>(count));
  std::ifstream in(path, std::ios::binary);
  in.seekg(header.data_offset);
  in.read(reinterpret_cast<char*>(data.data()), static_cast<std::streamsize>(count * sizeof(T)));
  if (in.gcount() != static_cast<std::streamsize>(count * sizeof(T))) throw std::runtime_error(path + ": short");
  return data;
}
template std::vector<float> read_npy<float>(const std::string&, std::vector<std::int64_t>&);
template std::vector<std::int64_t> read_npy<std::int64_t>(const std::string&, std::vector<std::int64_t>&);

std::vector<Pair> read_pairs_csv(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  if (line != "i,j,score") throw std::runtime_error(path + ": bad header '" + line + "'");
  std::vector<Pair> pairs;
  while (std::getline(in, line)) {
    // strtod, not operator>>: a stream reads "nan" as a failure and leaves 0,
    // which would hide a NaN score from the checks.
    Pair pair{};
    char* end = nullptr;
    const char* p = line.c_str();
    pair.i = std::strtoll(p, &end, 10);
    if (*end != ',') throw std::runtime_error(path + ": bad line '" + line + "'");
    pair.j = std::strtoll(end + 1, &end, 10);
    if (*end != ',') throw std::runtime_error(path + ": bad line '" + line + "'");
    pair.score = std::strtod(end + 1, &end);
    if (*end != '\0' && *end != ',') throw std::runtime_error(path + ": bad line '" + line + "'");
    pairs.push_back(pair);
  }
  return pairs;
}

RowMatrix<float> random_matrix(std::int64_t rows, std::int64_t cols, std::uint64_t seed) {
  std::mt19937_64 engine(seed);
  std::normal_distribution<float> normal(0.f, 1.f);
  RowMatrix<float> m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = normal(engine);
  return m;
}

RowMatrix<float> tie_matrix(std::int64_t rows, std::int64_t cols) {
  RowMatrix<float> m = RowMatrix<float>::Zero(rows, cols);
  for (std::int64_t r = 0; r < rows; ++r) m(r, r % cols) = static_cast<float>(1 + r % 3);
  return m;
}

}  // namespace ringsim::testing
