#include "engine/io/csv_layout.hpp"

#include <algorithm>
#include <charconv>

#include "engine/io/csv_fields.hpp"

namespace ringsim {

namespace {

bool is_number(const std::string& field) {
  double ignored = 0;
  return parse_double(field, ignored);
}

bool all_numbers(const std::vector<std::string>& fields, std::size_t from) {
  for (std::size_t i = from; i < fields.size(); ++i)
    if (!is_number(fields[i])) return false;
  return true;
}

// pandas names the columns of a DataFrame made from an array 0..d-1; users
// who renumber them write 1..d. A shuffled order (columns picked by name)
// still counts.
bool numbered_columns(const std::vector<std::string>& fields, std::size_t from) {
  return permutation_of_range(fields, from, false) || permutation_of_range(fields, from, true);
}

// A header line's first field names the index column: empty (pandas'
// unnamed index) or a name before numbered feature columns.
void index_from_header(const std::vector<std::string>& first, CsvLayout& layout) {
  if (trim(first[0]).empty()) {
    layout.index_col = true;
    layout.index_rule = "the header's first field is empty, pandas' mark of an unnamed index";
  } else if (!is_number(first[0]) && first.size() > 1 && numbered_columns(first, 1)) {
    layout.index_col = true;
    layout.index_rule = "the header names it '" + trim(first[0]) + "' before numbered feature columns";
  }
}

CsvLayout decide_header(const std::vector<std::string>& first, const std::vector<std::string>& second,
                        const CsvOptions& csv) {
  CsvLayout layout;
  if (csv.header != CsvHeader::automatic) {
    layout.header = csv.header == CsvHeader::yes;
    return layout;
  }
  const auto take = [&](const std::string& rule) {
    layout.header = true;
    layout.header_rule = rule;
    return layout;
  };
  if (first.size() > 1 && trim(first[0]).empty()) return take("its first field is empty (pandas' index column)");
  if (!all_numbers(first, 1)) return take("a field is not a number");
  if (csv.index_col) {
    if (permutation_of_range(first, 1, false)) return take("the fields after the index column are 0..d-1");
    return layout;
  }
  if (is_number(first[0])) {
    if (permutation_of_range(first, 0, false)) return take("its fields are the integers 0..d-1");
    // (One column: "1" is more likely a value than the name of column 1.)
    if (first.size() > 1 && permutation_of_range(first, 0, true)) return take("its fields are the integers 1..d");
    return layout;
  }
  // A word, then numbers: a named index's header (numbered columns after
  // it), or a data row whose id is a word (the next line starts with one
  // too).
  if (first.size() > 1 && numbered_columns(first, 1)) return take("a named index column, then numbered columns");
  if (!second.empty() && !is_number(second[0])) return layout;
  return take("a field is not a number");
}

}  // namespace

std::optional<std::int64_t> integer_field(const std::string& field) {
  const std::string text = trim(field);
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [rest, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc{} || rest != end) return std::nullopt;
  return value;
}

bool permutation_of_range(const std::vector<std::string>& fields, std::size_t from, bool one_based) {
  if (fields.size() <= from) return false;
  const auto m = static_cast<std::int64_t>(fields.size() - from);
  std::vector<bool> seen(static_cast<std::size_t>(m), false);
  for (std::size_t i = from; i < fields.size(); ++i) {
    const auto value = integer_field(fields[i]);
    if (!value) return false;
    const std::int64_t slot = *value - (one_based ? 1 : 0);
    if (slot < 0 || slot >= m || seen[static_cast<std::size_t>(slot)]) return false;
    seen[static_cast<std::size_t>(slot)] = true;
  }
  return true;
}

bool counts_rows(std::vector<std::int64_t>& values) {
  std::sort(values.begin(), values.end());
  if (values.empty() || (values[0] != 0 && values[0] != 1)) return false;
  for (std::size_t i = 1; i < values.size(); ++i)
    if (values[i] != values[0] + static_cast<std::int64_t>(i)) return false;
  return true;
}

CsvLayout decide_csv_layout(const std::vector<std::string>& first, const std::vector<std::string>& second,
                            const CsvOptions& csv) {
  CsvLayout layout = decide_header(first, second, csv);
  if (csv.index_col) {
    layout.index_col = true;
    return layout;
  }
  if (layout.header) index_from_header(first, layout);
  // The first data row: a word, then numbers (string ids, pandas' index of
  // names).
  const std::vector<std::string>& data = layout.header ? second : first;
  if (!layout.index_col && data.size() > 1 && !is_number(data[0]) && all_numbers(data, 1)) {
    layout.index_col = true;
    layout.index_rule = "its values are not numbers (a string index)";
  }
  return layout;
}

}  // namespace ringsim
