#pragma once
// One empty folder per test, gone with everything in it when the test ends.
#include <filesystem>
#include <string>

namespace ringsim::testing {

// mkdtemp under the system's temporary folder (ringsim-TAG-TEST-XXXXXX,
// TEST the running test's name): a fresh folder every time, so the tests that
// CTest runs at once, each in its own process, never share one.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& tag);
  const std::filesystem::path& path() const { return path_; }
  // Removes the folder; one owner only, so no copies.
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  // path() / name as a string: a file or folder that does not exist yet.
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace ringsim::testing
