// Where ranks run, without SageMaker's host names: current_host read from a
// file the way the rank reads it (read_current_host, common/host.hpp; the
// text itself is read as the gethostname() shim reads it, which
// tests/launcher/test_hostname_shim.cpp covers), and the check that ranks
// sharing a machine share a host.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/errors.hpp"
#include "common/host.hpp"
#include "common/rank_map.hpp"
#include "engine/placement.hpp"
#include "tests/scratch_dir.hpp"

using namespace ringsim;
using ringsim::testing::ScratchDir;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;
namespace fs = std::filesystem;

TEST(CurrentHost, TheRankReadsItOrNamesTheFile) {
  const ScratchDir scratch("rc");
  const fs::path path = scratch.path() / "resourceconfig.json";
  std::ofstream(path) << R"({"current_host":"algo-3","hosts":["algo-3"]})";
  EXPECT_EQ(read_current_host(path.string()), "algo-3");
  std::ofstream(path) << R"({"hosts":["algo-3"]})";
  EXPECT_THAT([&] { read_current_host(path.string()); }, ThrowsMessage<ConfigError>(HasSubstr(path.string())));
  std::ofstream(path) << R"({"current_host":"algo 3"})";
  EXPECT_THAT([&] { read_current_host(path.string()); }, ThrowsMessage<ConfigError>(HasSubstr("plain host name")));
  fs::remove(path);
  EXPECT_THAT([&] { read_current_host(path.string()); }, ThrowsMessage<ConfigError>(HasSubstr("cannot read")));
}

TEST(Placement, RanksSharingAMachineMustShareAHost) {
  const RankMap map({"algo-1", "algo-2"}, 2);
  EXPECT_NO_THROW(check_machines_match_map(map, {"m0", "m0", "m2", "m2"}));
  // Two hosts that are one machine (a host file naming one machine twice):
  EXPECT_THAT(
      [&] {
        check_machines_match_map(map, {"m0", "m0", "m0", "m0"});
      },
      ThrowsMessage<ConfigError>(HasSubstr("ranks 0 and 2 run on one machine but the rank map places them on "
                                           "hosts algo-1 and algo-2")));
  // Round-robin placement instead of by slot:
  EXPECT_THAT(
      [&] {
        check_machines_match_map(map, {"m0", "m1", "m0", "m1"});
      },
      ThrowsMessage<ConfigError>(HasSubstr("ranks 0 and 1 run on different machines")));
}
