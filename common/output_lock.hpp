#pragma once
// One job at a time per output directory. Two jobs writing the same --out
// would each finish "successfully" with the last rename silently winning, or
// worse, mix one job's neighbors.npy with the other's scores.npy.
//
// The lock is flock(2) on the directory itself, so it leaves no file behind
// and dies with the process however it ends (kill -9 included).
#include <string>

namespace ringsim {

class OutputDirectoryLock {
 public:
  // Creates `dir` if needed and locks it; throws IoError naming the process
  // that holds it (when it runs on this machine).
  explicit OutputDirectoryLock(const std::string& dir);
  ~OutputDirectoryLock();
  OutputDirectoryLock(const OutputDirectoryLock&) = delete;
  OutputDirectoryLock& operator=(const OutputDirectoryLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace ringsim
