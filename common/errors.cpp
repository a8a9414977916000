#include "common/errors.hpp"

#include <cerrno>
#include <cstring>

namespace ringsim {

void throw_errno(const std::string& context) { throw IoError(context + ": " + std::strerror(errno)); }

void enforce_failed(const char* expr, const char* file, int line, const std::string& msg) {
  throw InternalError(std::string(file) + ":" + std::to_string(line) + ": check failed (" + expr + "): " + msg);
}

}  // namespace ringsim
