#pragma once
// The input matrix as one or more files whose rows are stacked in order
// (one file for a replicated data set; a host's shard files, in name order,
// for sharded input). Loading reads only the requested rows: .npy files are
// read with a seek to the first row; CSV files are scanned line by line and
// only the requested lines are parsed.
#include <cstdint>
#include <string>
#include <vector>

#include "common/job_config.hpp"
#include "engine/io/csv_layout.hpp"
#include "engine/io/in_memory_rows.hpp"
#include "kernels/matrix.hpp"

namespace ringsim {

struct MatrixFile {
  std::string path;
  std::string format;  // "npy", "csv" or "memory" (rows in the caller's memory: InMemoryRows)
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  int element_bytes = 4;         // npy: 2 (float16), 4 (float32) or 8 (float64)
  bool fortran_order = false;    // npy only
  std::int64_t data_offset = 0;  // npy only
  bool csv_header = false;       // csv only: first line is a header
  bool csv_index_col = false;    // csv only: the first column is row ids, not a feature (cols excludes it)
  std::string csv_header_rule;   // csv only: why the first line was taken as a header, when ringsim decided
  std::string csv_index_rule;    // csv only: why the first column was taken as row ids, when ringsim decided
  // csv only: the first column counts 0, 1, 2, ... (or 1, 2, 3, ...), as an
  // index that pandas' to_csv writes by default: probably not a feature.
  bool csv_first_column_is_counter = false;
  const void* memory = nullptr;  // memory only: row 0 (C-contiguous float32 / float64 rows)
};

// Reads the shape and layout of one file (.npy or .csv by extension);
// throws InputError naming the file and the problem.
MatrixFile probe_matrix_file(const std::string& path, const CsvOptions& csv = {});

// The first column of a CSV read with --csv-index-col, one text per data row
// (trimmed; the header skipped).
std::vector<std::string> read_csv_index_column(const MatrixFile& file);

class MatrixSource {
 public:
  // A file, or a directory whose .npy / .csv files are stacked in name order
  // (an empty directory only if `allow_empty`: a host with no shard).
  static MatrixSource open(const std::string& path, bool allow_empty = false, const CsvOptions& csv = {});
  static MatrixSource from_files(std::vector<MatrixFile> files);
  // Rows in the caller's memory, which must outlive the source; `name`
  // stands for a path in messages.
  static MatrixSource from_memory(const InMemoryRows& rows, const std::string& name);

  std::int64_t rows() const { return rows_; }
  std::int64_t cols() const { return cols_; }
  const std::vector<MatrixFile>& files() const { return files_; }

  // Rows [begin, begin + count) of the stacked matrix; global_row0 is the id
  // of this source's row 0, used to name rows in errors (NaN / Inf).
  template <class Scalar>
  RowMatrix<Scalar> load_rows(std::int64_t begin, std::int64_t count, std::int64_t global_row0 = 0) const;

 private:
  std::vector<MatrixFile> files_;
  std::int64_t rows_ = 0;
  std::int64_t cols_ = 0;
};

}  // namespace ringsim
