#pragma once
// An output file that appears under its final name only when complete.
// Bytes go to an unnamed file in the same directory (O_TMPFILE), which no
// crash or kill -9 can leave behind; commit() gives it a name and renames it
// into place. Where the file system has no O_TMPFILE, a hidden named
// temporary is used instead; a stop signal removes it at once (see
// stop_signal.hpp) and destruction without commit removes it too. A reader
// therefore never sees a half-written result and no temporary survives.
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

  // Writes check for a stop request and throw StoppedError: a job told to
  // stop while writing a large output ends promptly instead of being killed
  // mid-file.
  void append(std::span<const std::byte> bytes);
  void append(const std::string& text);
  void write_at(std::int64_t offset, std::span<const std::byte> bytes);
  // Flushes the data to disk. Separate from publish() so that a job with
  // several outputs can flush them all, then publish them back to back.
  void flush();
  // Renames the flushed file into place.
  void publish();
  void commit() {
    flush();
    publish();
  }
  const std::string& final_path() const { return final_path_; }

 private:
  std::string final_path_;
  std::string temp_path_;  // the named temporary: always while open without O_TMPFILE, else only inside publish()
  unsigned mode_;
  int fd_ = -1;
  bool unnamed_ = false;  // O_TMPFILE
  std::int64_t size_ = 0;
  bool committed_ = false;
};

// Fails with an IoError naming `dir` unless a file can be created there
// (creating the directory first if needed).
void ensure_writable_directory(const std::string& dir);

}  // namespace ringsim
