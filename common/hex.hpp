#pragma once
// Lower-case hexadecimal, for certificate fingerprints and the secrets in
// OpenSSL's key-log lines.
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ringsim {

std::string to_hex(std::span<const unsigned char> bytes);
// Empty when `hex` has an odd length or a character that is not a hex digit.
std::vector<unsigned char> from_hex(std::string_view hex);

}  // namespace ringsim
