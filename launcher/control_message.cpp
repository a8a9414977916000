#include "launcher/control_message.hpp"

#include <cctype>

#include "common/errors.hpp"

namespace ringsim {

namespace {

bool is_base64(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '/' || c == '='; }

// "ssh-ed25519 <base64>[ comment]", printable, no options: nothing that
// authorized_keys would read as a restriction or a second key.
void check_public_key(const std::string& key) {
  const std::string type = "ssh-ed25519 ";
  if (key.rfind(type, 0) != 0) throw IoError("control message: RSIMKEY needs an ssh-ed25519 key");
  std::size_t at = type.size();
  const std::size_t begin = at;
  while (at < key.size() && is_base64(key[at])) ++at;
  // An ed25519 public key is 51 bytes: 68 base64 characters.
  if (at - begin != 68) throw IoError("control message: RSIMKEY's key is not an ed25519 public key");
  if (at < key.size() && key[at] != ' ') throw IoError("control message: RSIMKEY's key has stray characters");
  for (; at < key.size(); ++at)
    if (!std::isprint(static_cast<unsigned char>(key[at])))
      throw IoError("control message: RSIMKEY's comment is not printable text");
}

}  // namespace

ControlMessage parse_control_message(const std::string& line) {
  if (line.size() > kMaxControlLine)
    throw IoError("control message longer than " + std::to_string(kMaxControlLine) + " bytes");
  if (line.rfind("RSIMKEY ", 0) == 0) {
    InstallKey key{line.substr(8)};
    check_public_key(key.public_key);
    return key;
  }
  if (line.rfind("RSIMEXIT ", 0) == 0) {
    std::size_t at = 9, digits = 0;
    int code = 0;
    while (at < line.size() && std::isdigit(static_cast<unsigned char>(line[at])) && digits < 4) {
      code = code * 10 + (line[at] - '0');
      ++at;
      ++digits;
    }
    if (digits == 0 || (at < line.size() && line[at] != ' '))
      throw IoError("control message: RSIMEXIT needs an exit code of digits");
    if (code > 255) throw IoError("control message: RSIMEXIT exit code " + std::to_string(code) + " is over 255");
    return JobEnded{code, at < line.size() ? line.substr(at + 1) : ""};
  }
  std::string shown = line.substr(0, 32);
  for (char& c : shown)
    if (!std::isprint(static_cast<unsigned char>(c))) c = '?';
  throw IoError("unknown control message '" + shown + (line.size() > 32 ? "...'" : "'"));
}

}  // namespace ringsim
