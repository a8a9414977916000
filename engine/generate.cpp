#include "engine/generate.hpp"

#include <fmt/format.h>

#include <random>

#include "common/atomic_file.hpp"
#include "common/errors.hpp"
#include "engine/io/npy.hpp"

namespace ringsim {

RowMatrix<float> generate_clustered(const GenerateOptions& options) {
  if (options.rows < 0) throw InputError("--rows must be >= 0");
  if (options.cols < 1) throw InputError("--cols must be >= 1");
  if (options.clusters < 1) throw InputError("--clusters must be >= 1");
  std::mt19937_64 engine(options.seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  RowMatrix<float> centres(options.clusters, options.cols);
  for (Eigen::Index i = 0; i < centres.size(); ++i) centres.data()[i] = static_cast<float>(normal(engine));
  std::uniform_int_distribution<std::int64_t> pick(0, options.clusters - 1);
  RowMatrix<float> rows(options.rows, options.cols);
  for (std::int64_t r = 0; r < options.rows; ++r) {
    const std::int64_t centre = pick(engine);
    for (std::int64_t c = 0; c < options.cols; ++c)
      rows(r, c) = centres(centre, c) + static_cast<float>(options.noise * normal(engine));
  }
  return rows;
}

void write_matrix(const std::string& path, const RowMatrix<float>& matrix) {
  AtomicFile file(path);
  if (path.size() >= 4 && path.compare(path.size() - 4, 4, ".csv") == 0) {
    std::string text;
    for (Eigen::Index r = 0; r < matrix.rows(); ++r) {
      for (Eigen::Index c = 0; c < matrix.cols(); ++c)
        text += fmt::format("{}{}", c ? "," : "", matrix(r, c));  // shortest round-trip form
      text += '\n';
      if (text.size() > (1 << 20)) {
        file.append(text);
        text.clear();
      }
    }
    file.append(text);
  } else {
    file.append(make_npy_header("<f4", {matrix.rows(), matrix.cols()}));
    file.append(std::span<const std::byte>(reinterpret_cast<const std::byte*>(matrix.data()),
                                           static_cast<std::size_t>(matrix.size()) * sizeof(float)));
  }
  file.commit();
}

}  // namespace ringsim
