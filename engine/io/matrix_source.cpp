#include "engine/io/matrix_source.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "common/errors.hpp"
#include "common/natural_order.hpp"
#include "engine/io/csv_fields.hpp"
#include "engine/io/csv_layout.hpp"
#include "engine/io/npy.hpp"

namespace ringsim {

namespace fs = std::filesystem;

namespace {

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

MatrixFile probe_npy(const std::string& path) {
  const NpyHeader header = read_npy_header(path);
  MatrixFile file;
  file.path = path;
  file.format = "npy";
  if (header.shape.size() != 2)
    throw InputError(path + ": expected a 2-D array, got " + std::to_string(header.shape.size()) + "-D");
  file.rows = header.shape[0];
  file.cols = header.shape[1];
  // (n, 0) holds no bytes whatever n is, so the size check below cannot
  // bound n: refuse rows without values here.
  if (file.rows > 0 && file.cols == 0)
    throw InputError(path + ": shape (" + std::to_string(file.rows) + ", 0): rows without columns");
  const std::string& d = header.descr;
  if (d == "<f2" || d == "=f2")
    file.element_bytes = 2;  // float16, as embeddings are often stored
  else if (d == "<f4" || d == "=f4")
    file.element_bytes = 4;
  else if (d == "<f8" || d == "=f8")
    file.element_bytes = 8;
  else if (d == ">f2" || d == ">f4" || d == ">f8")
    throw InputError(path + ": big-endian dtype '" + d + "' is not supported; save with dtype '<" + d.substr(1) + "'");
  else
    throw InputError(path + ": unsupported dtype '" + d +
                     "'; expected float16 ('<f2'), float32 ('<f4') or float64 ('<f8')");
  file.fortran_order = header.fortran_order;
  file.data_offset = header.data_offset;
  // rows * cols * element_bytes + data_offset, checked: a header may claim
  // any extents, and a product past 2^63 would be undefined behaviour.
  std::int64_t need = 0;
  if (__builtin_mul_overflow(file.rows, file.cols, &need) ||
      __builtin_mul_overflow(need, std::int64_t{file.element_bytes}, &need) ||
      __builtin_add_overflow(need, file.data_offset, &need))
    throw InputError(path + ": implausible .npy shape " + std::to_string(file.rows) + " x " +
                     std::to_string(file.cols) + ": the data would exceed 2^63 bytes");
  const auto have = static_cast<std::int64_t>(fs::file_size(path));
  if (have < need)
    throw InputError(path + ": truncated data: header says " + std::to_string(file.rows) + " x " +
                     std::to_string(file.cols) + " needs " + std::to_string(need) + " bytes, file has " +
                     std::to_string(have));
  return file;
}

// The one walk over a CSV file's lines: calls visit(line, line_number) for
// each non-blank line after the header (when `header`), a byte-order mark
// stripped, while it returns true.
template <class Visit>
void walk_csv_lines(const std::string& path, bool header, Visit visit) {
  std::ifstream in(path);
  if (!in) throw InputError(path + ": cannot open input file (" + std::strerror(errno) + ")");
  std::string line;
  std::int64_t line_number = 0;
  bool header_pending = header;
  while (std::getline(in, line)) {
    ++line_number;
    strip_byte_order_mark(line, line_number);
    if (blank(line)) continue;
    if (header_pending) {
      header_pending = false;
      continue;
    }
    if (!visit(line, line_number)) return;
  }
}

// The first `count` non-blank lines' fields and line numbers.
std::vector<std::pair<std::vector<std::string>, std::int64_t>> first_lines(const std::string& path, std::size_t count) {
  std::vector<std::pair<std::vector<std::string>, std::int64_t>> lines;
  if (count == 0) return lines;
  walk_csv_lines(path, /*header=*/false, [&](const std::string& line, std::int64_t line_number) {
    // pandas' to_csv(sep=';') or sep='\t': one field per line to a comma
    // reader, which would read a header and then fail on row 1 (or worse).
    for (const char separator : {';', '\t'})
      if (lines.empty() && line.find(',') == std::string::npos && line.find(separator) != std::string::npos)
        throw InputError(path + ":" + std::to_string(line_number) + ": values are separated by '" +
                         (separator == ';' ? ";" : "\\t") +
                         "', not commas; ringsim reads comma-separated values (pandas: to_csv(path, sep=','))");
    lines.emplace_back(split_csv_line(line), line_number);
    return lines.size() < count;
  });
  return lines;
}

// Whether any feature field (after `skip` index fields) is not an integer.
bool has_fraction(const std::vector<std::string>& fields, std::size_t skip) {
  for (std::size_t i = skip; i < fields.size(); ++i)
    if (!integer_field(fields[i])) return true;
  return false;
}

MatrixFile probe_csv(const std::string& path, const CsvOptions& csv) {
  MatrixFile file;
  file.path = path;
  file.format = "csv";
  file.element_bytes = 8;
  const auto head = first_lines(path, 2);
  if (head.empty()) return file;
  const CsvLayout layout =
      decide_csv_layout(head[0].first, head.size() > 1 ? head[1].first : std::vector<std::string>{}, csv);
  file.csv_header = layout.header;
  file.csv_header_rule = layout.header_rule;
  file.csv_index_col = layout.index_col;
  file.csv_index_rule = layout.index_rule;
  const std::int64_t skip = layout.index_col ? 1 : 0;
  const auto fields_per_line = static_cast<std::int64_t>(head[0].first.size());
  if (fields_per_line <= skip)
    throw InputError(path + ":" + std::to_string(head[0].second) +
                     ": --csv-index-col, but the line has one column: no features left");
  file.cols = fields_per_line - skip;
  // The first column while it holds only integers: pandas' index written
  // without a header (or under a header of names) is one.
  std::vector<std::int64_t> first_column;
  bool first_column_integers = !layout.index_col && file.cols > 1, fractions = false;
  walk_csv_lines(path, layout.header, [&](const std::string& line, std::int64_t line_number) {
    const auto fields = split_csv_line(line);
    if (static_cast<std::int64_t>(fields.size()) != fields_per_line)
      throw InputError(path + ":" + std::to_string(line_number) + ": expected " + std::to_string(fields_per_line) +
                       " values, found " + std::to_string(fields.size()));
    if (first_column_integers) {
      const auto value = integer_field(fields[0]);
      if (value)
        first_column.push_back(*value);
      else
        first_column_integers = false;
      fractions = fractions || has_fraction(fields, 1);
    }
    ++file.rows;
    return true;
  });
  file.csv_first_column_is_counter = first_column_integers && fractions && file.rows >= 3 && counts_rows(first_column);
  if (file.csv_first_column_is_counter && csv.header == CsvHeader::automatic)
    throw InputError(path +
                     ": the first column holds the integers 0..n-1 (or 1..n) and the others fractions: it looks like "
                     "the index pandas' to_csv writes; pass --csv-index-col to read it as row ids, or "
                     "--csv-header yes/no to read the file as it is (the column a feature)");
  return file;
}

// Whether `value` converts to Scalar without leaving its range (converting a
// finite double beyond FLT_MAX to float is undefined behaviour). NaN and Inf
// pass: the caller reports those by name.
template <class Scalar>
bool fits(double value) {
  return !std::isfinite(value) || std::fabs(value) <= static_cast<double>(std::numeric_limits<Scalar>::max());
}

std::string out_of_range(const std::string& where, double value) {
  return fmt::format("{}: value {:g} does not fit float32; use --dtype float64", where, value);
}

// Converts `count` elements; returns the index of the first one that does
// not fit Scalar, or `count`.
// IEEE 754 binary16, widened exactly (every half is a float).
struct Half {
  std::uint16_t bits;
  operator double() const {
    const std::uint32_t sign = static_cast<std::uint32_t>(bits & 0x8000u) << 16;
    std::uint32_t exponent = (bits >> 10) & 0x1fu, mantissa = bits & 0x3ffu, out = 0;
    if (exponent == 0 && mantissa == 0) {
      out = sign;
    } else if (exponent == 0) {  // subnormal: normalise
      exponent = 127 - 15 + 1;
      while (!(mantissa & 0x400u)) {
        mantissa <<= 1;
        --exponent;
      }
      out = sign | (exponent << 23) | ((mantissa & 0x3ffu) << 13);
    } else if (exponent == 0x1f) {  // Inf, NaN
      out = sign | 0x7f800000u | (mantissa << 13);
    } else {
      out = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
    }
    float value = 0;
    std::memcpy(&value, &out, sizeof value);
    return value;
  }
};
static_assert(sizeof(Half) == 2);

template <class Scalar, class Element>
std::size_t convert_into(const std::vector<char>& raw, Scalar* out, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) {
    Element value;
    std::memcpy(&value, raw.data() + i * sizeof(Element), sizeof(Element));
    if (!fits<Scalar>(value)) return i;
    out[i] = static_cast<Scalar>(value);
  }
  return count;
}

void read_exact(std::ifstream& in, const MatrixFile& file, std::int64_t offset, std::vector<char>& raw) {
  in.seekg(offset);
  in.read(raw.data(), static_cast<std::streamsize>(raw.size()));
  if (in.gcount() != static_cast<std::streamsize>(raw.size()))
    throw InputError(file.path + ": truncated data: short read at byte " + std::to_string(offset));
}

// Rows [begin, begin + count) of the file; `global_begin` is the id of row
// `begin` in the whole input, used to name a value in errors.
template <class Scalar>
void load_npy_rows(const MatrixFile& file, std::int64_t begin, std::int64_t count, Scalar* out, std::int64_t out_stride,
                   std::int64_t global_begin) {
  std::ifstream in(file.path, std::ios::binary);
  if (!in) throw InputError(file.path + ": cannot open input file (" + std::strerror(errno) + ")");
  const auto convert = [&](const std::vector<char>& raw, Scalar* target, std::size_t n) {
    if (file.element_bytes == 2) return convert_into<Scalar, Half>(raw, target, n);
    return file.element_bytes == 4 ? convert_into<Scalar, float>(raw, target, n)
                                   : convert_into<Scalar, double>(raw, target, n);
  };
  const auto refuse = [&](std::int64_t row, std::int64_t col, const std::vector<char>& raw, std::size_t index) {
    double value = 0;
    std::memcpy(&value, raw.data() + index * sizeof(double), sizeof(double));  // only float64 can overflow
    throw InputError(out_of_range(
        file.path + ": row " + std::to_string(global_begin + row) + ", column " + std::to_string(col), value));
  };
  if (!file.fortran_order && static_cast<std::size_t>(file.element_bytes) == sizeof(Scalar) &&
      out_stride == file.cols) {
    // Same element type, contiguous rows: read straight into the matrix.
    in.seekg(file.data_offset + begin * file.cols * file.element_bytes);
    const auto bytes = static_cast<std::streamsize>(count * file.cols * file.element_bytes);
    in.read(reinterpret_cast<char*>(out), bytes);
    if (in.gcount() != bytes) throw InputError(file.path + ": truncated data: short read");
    return;
  }
  if (!file.fortran_order) {
    std::vector<char> raw(static_cast<std::size_t>(count * file.cols * file.element_bytes));
    read_exact(in, file, file.data_offset + begin * file.cols * file.element_bytes, raw);
    std::vector<Scalar> row(static_cast<std::size_t>(count * file.cols));
    const std::size_t done = convert(raw, row.data(), row.size());
    if (done != row.size())
      refuse(static_cast<std::int64_t>(done) / file.cols, static_cast<std::int64_t>(done) % file.cols, raw, done);
    for (std::int64_t r = 0; r < count; ++r) std::copy_n(row.data() + r * file.cols, file.cols, out + r * out_stride);
    return;
  }
  // Column-major: each column holds our rows as one contiguous run.
  std::vector<char> raw(static_cast<std::size_t>(count * file.element_bytes));
  std::vector<Scalar> column(static_cast<std::size_t>(count));
  for (std::int64_t c = 0; c < file.cols; ++c) {
    read_exact(in, file, file.data_offset + (c * file.rows + begin) * file.element_bytes, raw);
    const std::size_t done = convert(raw, column.data(), column.size());
    if (done != column.size()) refuse(static_cast<std::int64_t>(done), c, raw, done);
    for (std::int64_t r = 0; r < count; ++r) out[r * out_stride + c] = column[r];
  }
}

// The one walk over a probed CSV file's data rows (blank lines and the
// header skipped): calls visit(fields, line_number, row) for rows
// [begin, end) and stops there. Throws if the file now holds fewer rows.
template <class Visit>
void walk_csv_rows(const MatrixFile& file, std::int64_t begin, std::int64_t end, Visit visit) {
  std::int64_t row = -1;
  if (end > 0)
    walk_csv_lines(file.path, file.csv_header, [&](const std::string& line, std::int64_t line_number) {
      if (++row >= begin) visit(split_csv_line(line), line_number, row);
      return row + 1 < end;
    });
  if (row + 1 < end) throw InputError(file.path + ": fewer rows than when it was first read");
}

// One data line's features into `out`, each checked where the line is known.
template <class Scalar>
void parse_csv_row(const MatrixFile& file, const std::vector<std::string>& fields, std::int64_t line_number,
                   Scalar* out) {
  const std::int64_t skip = file.csv_index_col ? 1 : 0;
  const std::string at = file.path + ":" + std::to_string(line_number);
  if (static_cast<std::int64_t>(fields.size()) != file.cols + skip)
    throw InputError(at + ": expected " + std::to_string(file.cols + skip) + " values, found " +
                     std::to_string(fields.size()));
  for (std::int64_t c = 0; c < file.cols; ++c) {
    double value = 0;
    // Columns as the file counts them (the index column is column 0).
    const std::string& field = fields[c + skip];
    const std::string where = at + ": column " + std::to_string(c + skip);
    if (!parse_double(field, value)) throw InputError(where + " is not a number: '" + trim(field) + "'");
    // strtod reads "nan", "inf" and "1e999" (as Inf): refuse them here.
    if (!std::isfinite(value)) throw InputError(where + " is not a finite number: '" + trim(field) + "'");
    if (!fits<Scalar>(value)) throw InputError(out_of_range(where, value));
    out[c] = static_cast<Scalar>(value);
  }
}

// pandas writes to_csv("x.csv.gz") compressed; read as text it is bytes.
void refuse_compressed(const std::string& path) {
  for (const char* suffix : {".gz", ".bz2", ".xz", ".zst", ".zip"})
    if (ends_with(path, suffix))
      throw InputError(path +
                       ": a compressed file; ringsim reads plain .csv and .npy: decompress it first (gunzip -k " +
                       "for .gz) or save the matrix with np.save");
}

}  // namespace

MatrixFile probe_matrix_file(const std::string& path, const CsvOptions& csv) {
  if (!fs::exists(path)) throw InputError(path + ": input file not found");
  if (ends_with(path, ".npy")) return probe_npy(path);
  if (ends_with(path, ".csv")) return probe_csv(path, csv);
  refuse_compressed(path);
  throw InputError(path + ": unknown input format; expected a .npy or .csv file");
}

std::vector<std::string> read_csv_index_column(const MatrixFile& file) {
  std::vector<std::string> ids;
  if (file.format != "csv" || !file.csv_index_col) return ids;
  walk_csv_rows(file, 0, file.rows, [&](const std::vector<std::string>& fields, std::int64_t, std::int64_t) {
    ids.push_back(trim(fields.empty() ? std::string() : fields[0]));
  });
  return ids;
}

namespace {

// Rows [begin, begin + count) of rows in memory, converted (or copied
// whole, same type) straight into `out`: the one copy of a row.
template <class Scalar>
void copy_memory_rows(const MatrixFile& file, std::int64_t begin, std::int64_t count, Scalar* out,
                      std::int64_t global_begin) {
  const auto elements = static_cast<std::size_t>(count * file.cols);
  const auto first = static_cast<std::size_t>(begin * file.cols);
  if (static_cast<std::size_t>(file.element_bytes) == sizeof(Scalar)) {
    std::memcpy(out, static_cast<const Scalar*>(file.memory) + first, elements * sizeof(Scalar));
    return;
  }
  if (file.element_bytes == 4) {
    std::copy_n(static_cast<const float*>(file.memory) + first, elements, out);
    return;
  }
  const double* in = static_cast<const double*>(file.memory) + first;
  for (std::size_t i = 0; i < elements; ++i) {
    if (!fits<Scalar>(in[i]))
      throw InputError(out_of_range(
          fmt::format("{}: row {}, column {}", file.path, global_begin + static_cast<std::int64_t>(i) / file.cols,
                      static_cast<std::int64_t>(i) % file.cols),
          in[i]));
    out[i] = static_cast<Scalar>(in[i]);
  }
}

}  // namespace

MatrixSource MatrixSource::open(const std::string& path, bool allow_empty, const CsvOptions& csv) {
  if (allow_empty && !fs::exists(path)) return MatrixSource{};
  if (!fs::is_directory(path)) return from_files({probe_matrix_file(path, csv)});
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(path)) {
    const std::string name = entry.path().string();
    if (!entry.is_regular_file()) continue;
    if (ends_with(name, ".npy") || ends_with(name, ".csv"))
      names.push_back(name);
    else if (ends_with(name, ".csv.gz") || ends_with(name, ".npy.gz"))
      refuse_compressed(name);  // a shard skipped silently would drop its rows
  }
  // Natural order, as part files are numbered: part-2 before part-10.
  names = natural_sorted(std::move(names));
  std::vector<MatrixFile> files;
  for (const auto& name : names) files.push_back(probe_matrix_file(name, csv));
  if (files.empty() && !allow_empty) throw InputError(path + ": directory holds no .npy or .csv files");
  return from_files(std::move(files));
}

MatrixSource MatrixSource::from_files(std::vector<MatrixFile> files) {
  MatrixSource source;
  const MatrixFile* reference = nullptr;  // the first file with rows
  for (const auto& file : files) {
    // An empty shard says nothing about the width; every other file must agree.
    if (file.rows == 0) continue;
    if (source.cols_ == 0) {
      source.cols_ = file.cols;
      reference = &file;
    } else if (file.csv_index_col != reference->csv_index_col)
      throw InputError(file.path + ": " + (file.csv_index_col ? "has" : "has no") + " index column, " +
                       reference->path + (file.csv_index_col ? " has none" : " has one") +
                       "; write every part the same way (or pass --csv-index-col)");
    else if (file.cols != source.cols_)
      throw InputError(file.path + ": has " + std::to_string(file.cols) + " columns, other input files have " +
                       std::to_string(source.cols_));
    source.rows_ += file.rows;
  }
  if (source.cols_ == 0 && !files.empty()) source.cols_ = files.front().cols;
  source.files_ = std::move(files);
  return source;
}

MatrixSource MatrixSource::from_memory(const InMemoryRows& rows, const std::string& name) {
  if (rows.rows < 0 || rows.cols < 0 || (rows.rows > 0 && rows.data == nullptr))
    throw InputError(fmt::format("{}: {} x {} rows at {}: not a matrix", name, rows.rows, rows.cols, rows.data));
  if (rows.rows > 0 && rows.cols < 1) throw InputError(name + ": rows have no columns");
  MatrixFile file;
  file.path = name;
  file.format = "memory";
  file.rows = rows.rows;
  file.cols = rows.cols;
  file.element_bytes = rows.dtype == Dtype::float64 ? 8 : 4;
  file.memory = rows.data;
  return from_files({file});
}

template <class Scalar>
RowMatrix<Scalar> MatrixSource::load_rows(std::int64_t begin, std::int64_t count, std::int64_t global_row0) const {
  RINGSIM_ENFORCE(begin >= 0 && count >= 0 && begin + count <= rows_, "row range outside the input");
  RowMatrix<Scalar> out(count, cols_);
  std::int64_t file_row0 = 0;  // index of the current file's first row in the stacked matrix
  for (const auto& file : files_) {
    const std::int64_t lo = std::max(begin, file_row0);
    const std::int64_t hi = std::min(begin + count, file_row0 + file.rows);
    if (lo < hi) {
      Scalar* target = out.data() + (lo - begin) * cols_;
      if (file.format == "memory")
        copy_memory_rows(file, lo - file_row0, hi - lo, target, global_row0 + lo);
      else if (file.format == "npy")
        load_npy_rows(file, lo - file_row0, hi - lo, target, cols_, global_row0 + lo);
      else
        walk_csv_rows(file, lo - file_row0, hi - file_row0,
                      [&](const std::vector<std::string>& fields, std::int64_t line_number, std::int64_t row) {
                        parse_csv_row(file, fields, line_number, target + (row - (lo - file_row0)) * cols_);
                      });
      for (std::int64_t r = lo; r < hi; ++r)
        for (std::int64_t c = 0; c < cols_; ++c) {
          const Scalar value = out(r - begin, c);
          if (!std::isfinite(value))
            throw InputError(file.path + ": " + (std::isnan(value) ? "NaN" : "Inf") + " at row " +
                             std::to_string(global_row0 + r) + ", column " + std::to_string(c));
        }
    }
    file_row0 += file.rows;
  }
  return out;
}

template RowMatrix<float> MatrixSource::load_rows<float>(std::int64_t, std::int64_t, std::int64_t) const;
template RowMatrix<double> MatrixSource::load_rows<double>(std::int64_t, std::int64_t, std::int64_t) const;

}  // namespace ringsim
