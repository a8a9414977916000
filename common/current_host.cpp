#include "common/current_host.hpp"

#include <cstring>

namespace ringsim {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool is_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

}  // namespace

int extract_current_host(const char* text, std::size_t size, char* out, std::size_t capacity) {
  static const char key[] = "\"current_host\"";
  const std::size_t key_length = sizeof key - 1;
  for (std::size_t at = 0; at + key_length <= size; ++at) {
    if (std::memcmp(text + at, key, key_length) != 0) continue;
    std::size_t i = at + key_length;
    while (i < size && is_space(text[i])) ++i;
    if (i >= size || text[i] != ':') continue;  // the word as a value, not a key
    ++i;
    while (i < size && is_space(text[i])) ++i;
    if (i >= size || text[i] != '"') return -1;
    const std::size_t begin = ++i;
    while (i < size && is_host_char(text[i])) ++i;
    const std::size_t length = i - begin;
    if (i >= size || text[i] != '"' || length == 0 || length > 255 || length + 1 > capacity) return -1;
    std::memcpy(out, text + begin, length);
    out[length] = '\0';
    return static_cast<int>(length);
  }
  return -1;
}

}  // namespace ringsim
