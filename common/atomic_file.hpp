#pragma once
// An output file that appears under its final name only when complete:
// bytes go to a hidden temporary in the same directory, commit() renames it
// into place, and a file that is destroyed uncommitted (an error unwound
// past it) is removed. A reader therefore never sees a half-written result.
#include <cstdint>
#include <span>
#include <string>

namespace ringsim {

class AtomicFile {
 public:
  // `mode`: permissions of the file (0600 for private keys).
  explicit AtomicFile(std::string final_path, unsigned mode = 0644);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void append(std::span<const std::byte> bytes);
  void append(const std::string& text);
  void write_at(std::int64_t offset, std::span<const std::byte> bytes);
  void commit();
  const std::string& final_path() const { return final_path_; }

 private:
  std::string final_path_;
  std::string temp_path_;
  int fd_ = -1;
  std::int64_t size_ = 0;
  bool committed_ = false;
};

// Fails with an IoError naming `dir` unless a file can be created there
// (creating the directory first if needed).
void ensure_writable_directory(const std::string& dir);

}  // namespace ringsim
