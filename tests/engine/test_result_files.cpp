// The one table of result file names (engine/result_files.hpp) is the one
// docs/outputs.md lists: a file added to either is missing from the other.
// (cli.provenance checks that a real job of each mode writes only files the
// docs list.)
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <string>

#include "engine/result_files.hpp"

namespace {

// The file names in the first column of docs/outputs.md's table of files
// ("| `ids.npy` / `ids.txt` | ...": both).
std::set<std::string> names_the_docs_list() {
  std::ifstream doc(RINGSIM_SOURCE_DIR "/docs/outputs.md");
  EXPECT_TRUE(doc) << "cannot read docs/outputs.md";
  const std::regex name("`([a-z_]+\\.(npy|txt|csv|json))`");
  std::set<std::string> names;
  for (std::string line; std::getline(doc, line);) {
    if (line.rfind("| `", 0) != 0) continue;
    const std::string first_cell = line.substr(0, line.find('|', 1));
    for (auto it = std::sregex_iterator(first_cell.begin(), first_cell.end(), name); it != std::sregex_iterator(); ++it)
      names.insert((*it)[1]);
  }
  return names;
}

}  // namespace

TEST(ResultFiles, TheDocsListExactlyTheTable) {
  const std::set<std::string> table(ringsim::result_files::kAll.begin(), ringsim::result_files::kAll.end());
  EXPECT_EQ(table.size(), ringsim::result_files::kAll.size()) << "a name twice in the table";
  EXPECT_EQ(names_the_docs_list(), table);
}
