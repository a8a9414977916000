#include "common/populated_buffer.hpp"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "common/errors.hpp"

namespace ringsim {

PopulatedBuffer::PopulatedBuffer(std::size_t bytes, const char* what) : data_(nullptr), size_(bytes) {
  if (bytes == 0) return;
  void* memory = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (memory == MAP_FAILED)
    throw IoError(std::string("cannot map ") + std::to_string(bytes) + " bytes for " + what + ": " +
                  std::strerror(errno));
  data_ = static_cast<std::byte*>(memory);
}

PopulatedBuffer::PopulatedBuffer(PopulatedBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

PopulatedBuffer::~PopulatedBuffer() {
  if (data_) ::munmap(data_, size_);
}

}  // namespace ringsim
