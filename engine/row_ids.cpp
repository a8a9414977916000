#include "engine/row_ids.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstring>
#include <fstream>
#include <string_view>
#include <unordered_map>

#include "common/errors.hpp"
#include "engine/io/npy.hpp"

namespace ringsim {

namespace {

// UTF-8 to UTF-32; InputError on malformed bytes.
std::u32string utf32_of(const std::string& text, const std::string& path, std::int64_t line) {
  std::u32string out;
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    const int extra = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xe ? 2 : (c >> 3) == 0x1e ? 3 : -1;
    if (extra < 0 || i + extra >= text.size() + (extra == 0 ? 1 : 0))
      throw InputError(fmt::format("{}:{}: not valid UTF-8", path, line));
    char32_t code = extra == 0 ? c : c & (0x3f >> extra);
    for (int k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80) throw InputError(fmt::format("{}:{}: not valid UTF-8", path, line));
      code = (code << 6) | (next & 0x3f);
    }
    out.push_back(code);
    i += static_cast<std::size_t>(extra) + 1;
  }
  return out;
}

bool parse_integer(const std::string& text, std::int64_t& value) {
  const char* end = text.data() + text.size();
  const auto [ptr, error] = std::from_chars(text.data(), end, value);
  return error == std::errc() && ptr == end && !text.empty();
}

// Ids name rows in the results, so two rows may not share one: throws
// InputError for the first id (in row order) seen before, formatted with the
// id, its row and the earlier row (rows counted from `first`).
void refuse_duplicates(const std::vector<std::string>& ids, const std::string& message, std::int64_t first = 0) {
  std::unordered_map<std::string_view, std::int64_t> seen;
  seen.reserve(ids.size());
  for (std::size_t row = 0; row < ids.size(); ++row) {
    const auto [at, fresh] = seen.emplace(ids[row], static_cast<std::int64_t>(row));
    if (!fresh)
      throw InputError(
          fmt::format(fmt::runtime(message), ids[row], static_cast<std::int64_t>(row) + first, at->second + first));
  }
}

}  // namespace

namespace {

std::string utf8_of(char32_t code) {
  std::string out;
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xc0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3f));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xe0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (code & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (code & 0x3f));
  }
  return out;
}

}  // namespace

// numpy's fixed-width unicode ('<U30': 30 UTF-32 code units per id, NUL
// padded), as np.save writes an array of str.
RowIds RowIds::load_unicode_npy(std::ifstream& in, const NpyHeader& header, const std::string& path,
                                std::int64_t rows) {
  std::int64_t width = 0;
  const std::string digits = header.descr.substr(2);
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), width);
  if (error != std::errc() || end != digits.data() + digits.size() || width < 1 || width > (1 << 20))
    throw InputError("--ids " + path + ": unsupported string dtype '" + header.descr + "'");
  const std::int64_t count = header.shape[0];
  if (count != rows)
    throw InputError(fmt::format("--ids {} holds {} ids but the input has {} rows", path, count, rows));
  std::vector<char32_t> data(static_cast<std::size_t>(count * width));
  in.seekg(header.data_offset);
  if (!in.read(reinterpret_cast<char*>(data.data()), static_cast<std::streamsize>(data.size() * sizeof(char32_t))))
    throw InputError("--ids " + path + ": truncated data");
  std::vector<std::string> lines;
  lines.reserve(static_cast<std::size_t>(count));
  for (std::int64_t r = 0; r < count; ++r) {
    std::string text;
    for (std::int64_t c = 0; c < width; ++c) {
      const char32_t code = data[r * width + c];
      if (code == 0) break;  // numpy pads with NULs
      if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))
        throw InputError(fmt::format("--ids {}: id at row {} holds an invalid code point", path, r));
      if (code == '\n' || code == '\r')
        throw InputError(fmt::format("--ids {}: id at row {} holds a line break", path, r));
      text += utf8_of(code);
    }
    lines.push_back(std::move(text));
  }
  return from_lines(std::move(lines), rows, "--ids " + path);
}

RowIds RowIds::load(const std::string& path, std::int64_t rows) {
  RowIds ids;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("--ids " + path + ": file not found or not readable");
  if (path.size() > 4 && path.substr(path.size() - 4) == ".npy") {
    const NpyHeader header = read_npy_header(path);
    if (header.shape.size() == 1 && header.descr.rfind("<U", 0) == 0) return load_unicode_npy(in, header, path, rows);
    if (header.shape.size() != 1 || (header.descr != "<i8" && header.descr != "<i4"))
      throw InputError("--ids " + path + ": expected a 1-D array of int64, int32 or strings ('<U'), got " +
                       header.descr + " of " + std::to_string(header.shape.size()) + " dimensions");
    const std::int64_t count = header.shape[0];
    if (count != rows)
      throw InputError(fmt::format("--ids {} holds {} ids but the input has {} rows", path, count, rows));
    const std::size_t width = header.descr == "<i8" ? 8 : 4;
    std::string data(static_cast<std::size_t>(count) * width, '\0');
    in.seekg(header.data_offset);
    if (!in.read(data.data(), static_cast<std::streamsize>(data.size())))
      throw InputError("--ids " + path + ": truncated data");
    for (std::int64_t i = 0; i < count; ++i) {
      std::int64_t v = 0;
      if (width == 8) {
        std::memcpy(&v, data.data() + i * 8, 8);
      } else {
        std::int32_t v32 = 0;
        std::memcpy(&v32, data.data() + i * 4, 4);
        v = v32;
      }
      ids.values_.push_back(v);
      ids.text_.push_back(std::to_string(v));
    }
    refuse_duplicates(ids.text_, "--ids " + path + ": id {} at row {} repeats row {}");
    return ids;
  }
  std::vector<std::string> lines;
  std::string line;
  std::int64_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (number == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);  // byte-order mark
    if (line.empty() && in.peek() == std::char_traits<char>::eof()) break;    // a final newline
    if (line.empty()) throw InputError(fmt::format("--ids {}:{}: empty id", path, number));
    lines.push_back(line);
  }
  return from_lines(std::move(lines), rows, "--ids " + path);
}

RowIds RowIds::from_lines(std::vector<std::string> lines, std::int64_t rows, const std::string& label) {
  RowIds ids;
  ids.text_ = std::move(lines);
  for (std::size_t row = 0; row < ids.text_.size(); ++row)
    if (ids.text_[row].empty()) throw InputError(fmt::format("{}: empty id at row {}", label, row));
  if (ids.size() != rows)
    throw InputError(fmt::format("{} holds {} ids but the input has {} rows", label, ids.size(), rows));
  for (const auto& text : ids.text_) {
    std::int64_t v = 0;
    if (!parse_integer(text, v)) {
      ids.integers_ = false;
      break;
    }
    ids.values_.push_back(v);
  }
  // Integer ids are compared as numbers ("07" is 7 in neighbor_ids.npy);
  // lines count from 1, one id per line.
  if (ids.integers_) {
    std::vector<std::string> numbers;
    for (const auto v : ids.values_) numbers.push_back(std::to_string(v));
    refuse_duplicates(numbers, label + ": id {} on line {} repeats line {}", 1);
  } else {
    refuse_duplicates(ids.text_, label + ": id '{}' on line {} repeats line {}", 1);
  }
  if (!ids.integers_) {
    ids.values_.clear();
    std::int64_t row = 0;
    for (const auto& text : ids.text_) {
      ids.wide_.push_back(utf32_of(text, label, ++row));
      ids.widest_ = std::max(ids.widest_, ids.wide_.back().size());
    }
  }
  return ids;
}

std::string RowIds::table_bytes() const {
  std::string out;
  if (integers_) {
    out = make_npy_header("<i8", {size()});
    out.append(reinterpret_cast<const char*>(values_.data()), values_.size() * sizeof(std::int64_t));
    return out;
  }
  for (const auto& text : text_) out += text + "\n";
  return out;
}

std::string RowIds::npy_descr() const { return integers_ ? "<i8" : fmt::format("<U{}", widest_); }

std::string RowIds::npy_bytes(const std::vector<std::int64_t>& rows) const {
  std::string out;
  if (integers_) {
    out.resize(rows.size() * 8);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const std::int64_t v = rows[i] < 0 ? -1 : values_[rows[i]];
      std::memcpy(out.data() + i * 8, &v, 8);
    }
    return out;
  }
  out.assign(rows.size() * widest_ * 4, '\0');
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows[i] < 0) continue;
    const auto& wide = wide_[rows[i]];
    std::memcpy(out.data() + i * widest_ * 4, wide.data(), wide.size() * 4);
  }
  return out;
}

}  // namespace ringsim
