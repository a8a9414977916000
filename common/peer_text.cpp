#include "common/peer_text.hpp"

#include <fmt/format.h>

namespace ringsim {

namespace {

std::string escaped(std::string_view text, std::size_t max_bytes, bool quote) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (out.size() >= max_bytes) {
      out += "...";
      break;
    }
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else if (c == '\t')
      out += "\\t";
    else if (c == '\\' || (quote && c == '\''))
      out += std::string("\\") + static_cast<char>(c);
    else if (c < 0x20 || c >= 0x7f)
      out += fmt::format("\\x{:02x}", c);
    else
      out += static_cast<char>(c);
  }
  return out;
}

}  // namespace

std::string printable_line(std::string_view text, std::size_t max_bytes) { return escaped(text, max_bytes, false); }

std::string peer_words(std::string_view text, std::size_t max_bytes) {
  return "'" + escaped(text, max_bytes, true) + "'";
}

}  // namespace ringsim
