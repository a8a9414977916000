#pragma once
// How a CSV file is laid out, decided from its first two non-blank lines:
// is the first line a header, and is the first column row ids (an index, as
// pandas' to_csv writes one) rather than a feature? The rules are
// docs/input.md's table; each decision carries the rule that made it, so
// the job can say why it read the file as it did.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/job_config.hpp"

namespace ringsim {

// How CSV files are read (--csv-header, --csv-index-col; docs/input.md).
struct CsvOptions {
  CsvHeader header = CsvHeader::automatic;
  bool index_col = false;
};

struct CsvLayout {
  bool header = false;
  std::string header_rule;  // why the first line is a header, when ringsim decided it ("" otherwise)
  bool index_col = false;
  std::string index_rule;  // why the first column is row ids, when ringsim decided it ("" otherwise)
};

// `first`: the first non-blank line's fields; `second`: the next one's
// (empty when there is none). Worked examples (d features):
//   ",0,1,2"  then "7,0.5,..."   header, index (pandas' unnamed index)
//   "id,0,1"  then "7,0.5,0.1"   header, index (a named index before numbered columns)
//   "0,1,2"   then "0.5,..."     header (0..d-1), no index
//   "1,2,3"   then "0.5,..."     header (1..d), no index
//   "5,0,1"   then "0.5,..."     data (integers, but not a permutation)
//   "pkg,0.5,0.1"                data, index (a first column of non-numbers)
// With --csv-index-col the first column is the index whatever it holds, and
// the header test looks at the fields after it (only 0..d-1 counts: "0,1,2"
// is then an index 0 and the data 1,2).
CsvLayout decide_csv_layout(const std::vector<std::string>& first, const std::vector<std::string>& second,
                            const CsvOptions& csv);

// The field as an integer when it is written as one ("7", "-3"; not "7.0").
std::optional<std::int64_t> integer_field(const std::string& field);

// Whether the fields [from, end) are the integers 0..m-1 (or, with
// `one_based`, 1..m) in any order, m = the number of those fields.
bool permutation_of_range(const std::vector<std::string>& fields, std::size_t from, bool one_based);

// Whether `values` are 0..n-1 or 1..n in some order (sorts them).
bool counts_rows(std::vector<std::int64_t>& values);

}  // namespace ringsim
