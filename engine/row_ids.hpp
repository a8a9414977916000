#pragma once
// Names of the input rows (--ids): a text file with one id per line, or a
// 1-D .npy of integers or strings ('<U'), in global row order. Results then
// carry ids beside row numbers: the id table (ids.txt, or ids.npy when every
// id is an integer), id columns in pairs.csv, and neighbor_ids.npy (int64
// ids; fixed-width unicode only with --id-matrix). Rank 0 alone holds them.
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

namespace ringsim {

struct NpyHeader;

class RowIds {
 public:
  // Throws InputError naming `path` unless it holds exactly `rows` ids.
  static RowIds load(const std::string& path, std::int64_t rows);
  // Ids given as text, one per row (a CSV's index column); `label` names
  // their source in errors ("--csv-index-col").
  static RowIds from_lines(std::vector<std::string> lines, std::int64_t rows, const std::string& label);

  std::int64_t size() const { return static_cast<std::int64_t>(text_.size()); }
  bool integers() const { return integers_; }
  const std::string& text(std::int64_t row) const { return text_[row]; }
  std::int64_t integer(std::int64_t row) const { return values_[row]; }
  // neighbor_ids.npy's dtype: "<i8", or "<U{longest id in code points}".
  std::string npy_descr() const;
  // The bytes of `rows` (row numbers, -1 = none) as npy_descr() elements:
  // id -1 / the empty string for -1.
  std::string npy_bytes(const std::vector<std::int64_t>& rows) const;
  // The id table: ids.npy's bytes (int64, 1-D) for integer ids, else
  // ids.txt's (UTF-8, one id per line).
  std::string table_bytes() const;

 private:
  static RowIds load_unicode_npy(std::ifstream& in, const NpyHeader& header, const std::string& path,
                                 std::int64_t rows);
  std::vector<std::string> text_;
  std::vector<std::int64_t> values_;  // when integers_
  std::vector<std::u32string> wide_;  // when not: UTF-32 for '<U'
  std::size_t widest_ = 1;
  bool integers_ = true;
};

}  // namespace ringsim
