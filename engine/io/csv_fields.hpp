#pragma once
// The fields of one CSV line, as the input reader sees them: split on
// commas (no quoting: matrices hold numbers), trimmed, read as doubles.
#include <cstdint>
#include <string>
#include <vector>

namespace ringsim {

// "1,2," -> {"1", "2", ""}.
std::vector<std::string> split_csv_line(const std::string& line);
// Without leading and trailing blanks, tabs and CRs.
std::string trim(const std::string& text);
// The whole trimmed field as a double (strtod: "nan", "inf" pass).
bool parse_double(const std::string& raw, double& value);
bool blank(const std::string& line);
// Spreadsheet programs (Excel's "CSV UTF-8") start the file with a UTF-8
// byte-order mark; left in place it would make the first value non-numeric
// and the first row a "header". Removes it from line 1.
void strip_byte_order_mark(std::string& line, std::int64_t line_number);

}  // namespace ringsim
