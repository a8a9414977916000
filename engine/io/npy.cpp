#include "engine/io/npy.hpp"

#include <cctype>
#include <charconv>
#include <cstring>
#include <fstream>

#include "common/errors.hpp"

namespace ringsim {

namespace {

const char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicLength = 6;

// The header dictionary is a Python literal, e.g.
//   {'descr': '<f4', 'fortran_order': False, 'shape': (1001, 37), }
// NumPy writes exactly these three keys; we read it as a literal (not by
// searching for substrings) so that a string 'True', a negative extent or
// '50 by 8' is refused rather than half-read.
class DictReader {
 public:
  DictReader(const std::string& text, const std::string& path) : text_(text), path_(path) {}

  NpyHeader read() {
    NpyHeader header;
    bool have_descr = false, have_fortran = false, have_shape = false;
    expect('{');
    while (!peek('}')) {
      const std::string key = string_literal("a quoted key");
      expect(':');
      if (key == "descr") {
        if (have_descr) fail("'descr' given twice");
        if (peek('[')) fail("structured dtypes are not supported; expected float32 ('<f4') or float64 ('<f8')");
        header.descr = string_literal("a quoted dtype for 'descr'");
        have_descr = true;
      } else if (key == "fortran_order") {
        if (have_fortran) fail("'fortran_order' given twice");
        header.fortran_order = boolean();
        have_fortran = true;
      } else if (key == "shape") {
        if (have_shape) fail("'shape' given twice");
        header.shape = shape();
        have_shape = true;
      } else {
        fail("unexpected key '" + key + "'");
      }
      if (!peek('}')) expect(',');
    }
    expect('}');
    skip_space();
    if (at_ != text_.size()) fail("unexpected text after the dictionary");
    if (!have_descr) fail("no 'descr' entry");
    if (!have_fortran) fail("no 'fortran_order' entry");
    if (!have_shape) fail("no 'shape' entry");
    return header;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw InputError(path_ + ": malformed .npy header: " + what);
  }
  void skip_space() {
    while (at_ < text_.size() && (text_[at_] == ' ' || text_[at_] == '\n' || text_[at_] == '\t' || text_[at_] == '\r'))
      ++at_;
  }
  bool peek(char c) {
    skip_space();
    return at_ < text_.size() && text_[at_] == c;
  }
  void expect(char c) {
    if (!peek(c)) fail(std::string("expected '") + c + "' at byte " + std::to_string(at_));
    ++at_;
  }
  std::string string_literal(const std::string& what) {
    skip_space();
    if (at_ >= text_.size() || (text_[at_] != '\'' && text_[at_] != '"'))
      fail("expected " + what + " at byte " + std::to_string(at_));
    const char quote = text_[at_++];
    const auto close = text_.find(quote, at_);
    if (close == std::string::npos) fail("unterminated string");
    std::string value = text_.substr(at_, close - at_);
    if (value.find('\\') != std::string::npos) fail("escapes in strings are not supported");
    at_ = close + 1;
    return value;
  }
  bool word(const char* literal) {
    const std::size_t length = std::strlen(literal);
    if (text_.compare(at_, length, literal) != 0) return false;
    // "Trueish" is not True.
    if (at_ + length < text_.size() &&
        (std::isalnum(static_cast<unsigned char>(text_[at_ + length])) || text_[at_ + length] == '_'))
      return false;
    at_ += length;
    return true;
  }
  bool boolean() {
    skip_space();
    if (word("True")) return true;
    if (word("False")) return false;
    fail("'fortran_order' must be True or False");
  }
  std::vector<std::int64_t> shape() {
    std::vector<std::int64_t> extents;
    if (!peek('(')) fail("'shape' must be a tuple of non-negative integers");
    ++at_;
    while (!peek(')')) {
      skip_space();
      const std::size_t begin = at_;
      while (at_ < text_.size() && text_[at_] >= '0' && text_[at_] <= '9') ++at_;
      if (at_ == begin) fail("'shape' must be a tuple of non-negative integers");
      std::int64_t extent = 0;
      const auto [end, error] = std::from_chars(text_.data() + begin, text_.data() + at_, extent);
      if (error != std::errc{} || end != text_.data() + at_)
        fail("shape extent " + text_.substr(begin, at_ - begin) + " is too large");
      extents.push_back(extent);
      // Python needs the comma in a 1-tuple "(5,)"; "(5)" is just 5.
      if (peek(','))
        ++at_;
      else if (!peek(')'))
        fail("'shape' must be a tuple of non-negative integers");
      else if (extents.size() == 1)
        fail("'shape' must be a tuple of non-negative integers");
    }
    ++at_;
    return extents;
  }

  const std::string text_;
  const std::string& path_;
  std::size_t at_ = 0;
};

}  // namespace

NpyHeader parse_npy_header(const std::string& bytes, const std::string& path) {
  if (bytes.size() < 10 || std::memcmp(bytes.data(), kMagic, kMagicLength) != 0)
    throw InputError(path + ": not a .npy file (bad magic)");
  const int major = static_cast<unsigned char>(bytes[6]);
  std::size_t length_bytes = 0;
  if (major == 1)
    length_bytes = 2;
  else if (major == 2 || major == 3)
    length_bytes = 4;
  else
    throw InputError(path + ": unsupported .npy version " + std::to_string(major));
  if (bytes.size() < 8 + length_bytes) throw InputError(path + ": truncated .npy header");
  std::size_t header_length = 0;
  for (std::size_t i = 0; i < length_bytes; ++i)
    header_length |= static_cast<std::size_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
  const std::size_t dict_start = 8 + length_bytes;
  if (bytes.size() - dict_start < header_length) throw InputError(path + ": truncated .npy header");
  NpyHeader header = DictReader(bytes.substr(dict_start, header_length), path).read();
  header.data_offset = static_cast<std::int64_t>(dict_start + header_length);
  return header;
}

NpyHeader read_npy_header(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open input file (" + std::strerror(errno) + ")");
  // Magic, version and the header length: 10 bytes (version 1) or 12 (2, 3).
  std::string prefix(12, '\0');
  in.read(prefix.data(), 12);
  prefix.resize(static_cast<std::size_t>(in.gcount()));
  if (prefix.size() < 10) throw InputError(path + ": not a .npy file (shorter than a header)");
  if (std::memcmp(prefix.data(), kMagic, kMagicLength) != 0) throw InputError(path + ": not a .npy file (bad magic)");
  const bool short_length = static_cast<unsigned char>(prefix[6]) == 1;
  std::size_t header_length = 0;
  for (std::size_t i = 0; i < (short_length ? 2u : 4u) && 8 + i < prefix.size(); ++i)
    header_length |= static_cast<std::size_t>(static_cast<unsigned char>(prefix[8 + i])) << (8 * i);
  if (header_length > (1u << 24)) throw InputError(path + ": implausible .npy header length");
  std::string rest(header_length, '\0');
  in.read(rest.data(), static_cast<std::streamsize>(header_length));
  prefix.append(rest.data(), static_cast<std::size_t>(in.gcount()));
  return parse_npy_header(prefix, path);
}

namespace {

// Magic, version 1.0, the length and `dict` padded so that the data starts
// on a multiple of 64 bytes.
std::string npy_header_with(std::string dict) {
  const std::size_t unpadded = kMagicLength + 4 + dict.size() + 1;
  dict.append((64 - unpadded % 64) % 64, ' ');
  dict.push_back('\n');
  std::string header(kMagic, kMagicLength);
  header.push_back(1);
  header.push_back(0);
  header.push_back(static_cast<char>(dict.size() & 0xff));
  header.push_back(static_cast<char>((dict.size() >> 8) & 0xff));
  return header + dict;
}

}  // namespace

std::string make_npy_header(const std::string& descr, const std::vector<std::int64_t>& shape) {
  std::string dims;
  for (auto extent : shape) dims += std::to_string(extent) + ", ";
  if (shape.size() > 1)
    dims.erase(dims.size() - 2);  // "(3, 4)"; a 1-D shape keeps "(3,)"
  else if (shape.size() == 1)
    dims.erase(dims.size() - 1);
  return npy_header_with("{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + dims + "), }");
}

std::string make_npy_record_header(const std::vector<std::pair<std::string, std::string>>& fields, std::int64_t rows) {
  std::string descr;
  for (const auto& [name, type] : fields) descr += (descr.empty() ? "" : ", ") + ("('" + name + "', '" + type + "')");
  return npy_header_with("{'descr': [" + descr + "], 'fortran_order': False, 'shape': (" + std::to_string(rows) +
                         ",), }");
}

}  // namespace ringsim
