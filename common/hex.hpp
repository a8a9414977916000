#pragma once
// Lower-case hexadecimal, for certificate fingerprints and the secrets in
// OpenSSL's key-log lines.
#include <span>
#include <string>
#include <vector>

namespace ringsim {

std::string to_hex(std::span<const unsigned char> bytes);

}  // namespace ringsim
