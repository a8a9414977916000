#include "common/failure_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>

namespace ringsim {

bool write_failure_file(const std::string& path, const std::string& reason) {
  std::error_code ignored;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ignored);
  // O_EXCL makes "create only if absent" atomic among ranks on one host.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  const std::string text = reason.substr(0, 1024);
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok;
}

}  // namespace ringsim
