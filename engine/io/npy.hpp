#pragma once
// NumPy .npy headers: parsing (versions 1-3) and writing (version 1).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ringsim {

struct NpyHeader {
  std::string descr;           // e.g. "<f4"
  bool fortran_order = false;  // column-major data
  std::vector<std::int64_t> shape;
  std::int64_t data_offset = 0;  // bytes from the start of the file to the data
};

// Parses the header at the start of `bytes` (at least the first ~10 bytes;
// throws InputError naming `path` if incomplete or malformed).
NpyHeader parse_npy_header(const std::string& bytes, const std::string& path);
// Reads and parses the header of the file at `path`.
NpyHeader read_npy_header(const std::string& path);
// A complete version 1.0 header for a C-order array, padded to 64 bytes.
std::string make_npy_header(const std::string& descr, const std::vector<std::int64_t>& shape);
// The header of a 1-D array of records (a structured dtype, packed as numpy
// packs a list descr): fields {{"i", "<i8"}, {"score", "<f4"}} give
// np.load(...)["i"], and pandas.DataFrame(np.load(...)) its columns.
std::string make_npy_record_header(const std::vector<std::pair<std::string, std::string>>& fields, std::int64_t rows);

}  // namespace ringsim
