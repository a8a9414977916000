#pragma once
// The byte and file helpers the result handlers use to save, ship and
// write their results.
#include <cstring>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "transport/transport.hpp"

namespace ringsim::mode_detail {

inline std::string output_path(const std::string& dir, const std::string& name) {
  return (std::filesystem::path(dir) / name).string();
}

// memcpy, but for an empty state too: a rank without rows restores empty
// buffers, whose data() may be null, and memcpy(nullptr, ..., 0) is undefined.
inline void copy_bytes(void* to, const char* from, std::size_t bytes) {
  if (bytes > 0) std::memcpy(to, from, bytes);
}

// RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled.
inline void append_csv_field(std::string& out, const std::string& field) {
  if (field.find_first_of(",\"\r\n") == std::string::npos) {
    out += field;
    return;
  }
  out += '"';
  for (const char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

template <class T>
std::string as_chars(std::span<const T> values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size_bytes());
}

template <class T>
std::span<const std::byte> bytes_of(const std::vector<T>& v) {
  return as_bytes_of(v.data(), v.size());
}
template <class T>
std::span<std::byte> writable_bytes_of(std::vector<T>& v) {
  return as_writable_bytes_of(v.data(), v.size());
}

}  // namespace ringsim::mode_detail
