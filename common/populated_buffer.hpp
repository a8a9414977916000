#pragma once
// A byte buffer whose pages are mapped when it is made (mmap with
// MAP_POPULATE), for the large per-connection buffers made during set-up.
// Why: on the virtual machines we run on a page fault costs several
// microseconds, and touching a fresh 256 KiB buffer page by page cost
// 0.7-0.8 ms per buffer, on the TLS handshake's critical path; mapping the
// same pages at once costs about 50 us.
#include <cstddef>

namespace ringsim {

class PopulatedBuffer {
 public:
  // Throws IoError naming `what` when the memory cannot be mapped.
  PopulatedBuffer(std::size_t bytes, const char* what);
  ~PopulatedBuffer();
  PopulatedBuffer(PopulatedBuffer&& other) noexcept;
  PopulatedBuffer& operator=(PopulatedBuffer&&) = delete;
  PopulatedBuffer(const PopulatedBuffer&) = delete;
  PopulatedBuffer& operator=(const PopulatedBuffer&) = delete;

  std::byte* data() const { return data_; }
  unsigned char* bytes() const { return reinterpret_cast<unsigned char*>(data_); }
  std::size_t size() const { return size_; }

 private:
  std::byte* data_;
  std::size_t size_;
};

}  // namespace ringsim
