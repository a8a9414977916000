#include "engine/npy.hpp"

#include <cstring>
#include <fstream>
#include <regex>

#include "common/errors.hpp"

namespace ringsim {

namespace {

const char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicLength = 6;

std::string dict_value(const std::string& dict, const std::string& key, const std::string& path) {
  const std::string quoted = "'" + key + "'";
  auto at = dict.find(quoted);
  if (at == std::string::npos) throw InputError(path + ": .npy header has no '" + key + "' entry");
  at = dict.find(':', at + quoted.size());
  if (at == std::string::npos) throw InputError(path + ": malformed .npy header near '" + key + "'");
  ++at;
  while (at < dict.size() && dict[at] == ' ') ++at;
  if (at < dict.size() && dict[at] == '(') {
    auto close = dict.find(')', at);
    if (close == std::string::npos) throw InputError(path + ": malformed .npy shape");
    return dict.substr(at, close - at + 1);
  }
  if (at < dict.size() && dict[at] == '\'') {
    auto close = dict.find('\'', at + 1);
    if (close == std::string::npos) throw InputError(path + ": malformed .npy header value");
    return dict.substr(at + 1, close - at - 1);
  }
  auto end = dict.find_first_of(",}", at);
  return dict.substr(at, end - at);
}

}  // namespace

NpyHeader parse_npy_header(const std::string& bytes, const std::string& path) {
  if (bytes.size() < 10 || std::memcmp(bytes.data(), kMagic, kMagicLength) != 0)
    throw InputError(path + ": not a .npy file (bad magic)");
  const int major = static_cast<unsigned char>(bytes[6]);
  std::size_t length_bytes = 0;
  if (major == 1) length_bytes = 2;
  else if (major == 2 || major == 3) length_bytes = 4;
  else throw InputError(path + ": unsupported .npy version " + std::to_string(major));
  std::size_t header_length = 0;
  for (std::size_t i = 0; i < length_bytes; ++i)
    header_length |= static_cast<std::size_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
  const std::size_t dict_start = 8 + length_bytes;
  if (bytes.size() < dict_start + header_length) throw InputError(path + ": truncated .npy header");
  const std::string dict = bytes.substr(dict_start, header_length);

  NpyHeader header;
  header.data_offset = static_cast<std::int64_t>(dict_start + header_length);
  header.descr = dict_value(dict, "descr", path);
  const std::string fortran = dict_value(dict, "fortran_order", path);
  if (fortran.find("True") != std::string::npos) header.fortran_order = true;
  else if (fortran.find("False") != std::string::npos) header.fortran_order = false;
  else throw InputError(path + ": malformed fortran_order in .npy header");
  const std::string shape = dict_value(dict, "shape", path);
  static const std::regex number("[0-9]+");
  for (auto it = std::sregex_iterator(shape.begin(), shape.end(), number); it != std::sregex_iterator(); ++it)
    header.shape.push_back(std::stoll(it->str()));
  return header;
}

NpyHeader read_npy_header(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open input file (" + std::strerror(errno) + ")");
  std::string prefix(10, '\0');
  in.read(prefix.data(), 10);
  if (in.gcount() < 10) throw InputError(path + ": not a .npy file (shorter than a header)");
  if (std::memcmp(prefix.data(), kMagic, kMagicLength) != 0) throw InputError(path + ": not a .npy file (bad magic)");
  const int major = static_cast<unsigned char>(prefix[6]);
  std::size_t header_length = major == 1 ? (static_cast<unsigned char>(prefix[8]) |
                                            static_cast<unsigned char>(prefix[9]) << 8)
                                         : 0;
  if (major != 1) {
    std::string more(2, '\0');
    in.read(more.data(), 2);
    prefix += more;
    header_length = 0;
    for (int i = 0; i < 4; ++i) header_length |= static_cast<std::size_t>(static_cast<unsigned char>(prefix[8 + i])) << (8 * i);
  }
  if (header_length > (1u << 24)) throw InputError(path + ": implausible .npy header length");
  std::string rest(header_length, '\0');
  in.read(rest.data(), static_cast<std::streamsize>(header_length));
  prefix.append(rest.data(), static_cast<std::size_t>(in.gcount()));
  return parse_npy_header(prefix, path);
}

std::string make_npy_header(const std::string& descr, const std::vector<std::int64_t>& shape) {
  std::string dims;
  for (auto extent : shape) dims += std::to_string(extent) + ", ";
  if (shape.size() > 1) dims.erase(dims.size() - 2);   // "(3, 4)"; a 1-D shape keeps "(3,)"
  else if (shape.size() == 1) dims.erase(dims.size() - 1);
  std::string dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + dims + "), }";
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

}  // namespace ringsim
