// The mpirun command line and hostfile (launcher/mpirun_command).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "common/errors.hpp"
#include "common/rank_map.hpp"
#include "launcher/mpirun_command.hpp"

using namespace ringsim;
using ::testing::HasSubstr;

TEST(MpirunCommand, HostfileAndArgv) {
  const RankMap map({"algo-2", "algo-1"}, 4);
  MpirunRequest request;
  request.ranks = &map;
  request.network_interface = "eth1";
  request.hostfile_path = "/tmp/hosts";
  request.rank_command = {"/usr/bin/ringsim", "run", "--input", "/opt/ml/input/data/train"};
  const MpirunPlan plan = plan_mpirun(request);
  EXPECT_EQ(plan.hostfile, "algo-1 slots=4\nalgo-2 slots=4\n");
  const std::vector<std::string> head = {"mpirun", "--hostfile", "/tmp/hosts", "-np", "8"};
  // The prefix, compared only where argv is long enough to hold it.
  ASSERT_GE(plan.argv.size(), head.size());
  EXPECT_TRUE(std::equal(head.begin(), head.end(), plan.argv.begin()));
  const std::string joined = [&] {
    std::string s;
    for (const auto& w : plan.argv) s += w + " ";
    return s;
  }();
  EXPECT_NE(joined.find("-mca btl_tcp_if_include eth1 "), std::string::npos);
  EXPECT_NE(joined.find("-mca btl_vader_single_copy_mechanism none "), std::string::npos);
  EXPECT_NE(joined.find("--map-by slot "), std::string::npos);
  EXPECT_EQ(joined.find("SM_CURRENT_HOST"), std::string::npos) << "never copy the leader's host to every rank";
  EXPECT_NE(joined.find("ringsim run --input /opt/ml/input/data/train "), std::string::npos);
  EXPECT_EQ(plan.argv.back(), "/opt/ml/input/data/train");
}

TEST(MpirunCommand, UserOptionsOverrideDefaults) {
  const auto merged = merge_mpi_options(
      {"--bind-to", "none", "-mca", "btl_tcp_if_include", "eth0", "-mca", "pml", "ob1", "-x", "PATH"},
      split_words("--bind-to core --mca btl_tcp_if_include 'eth 2' -x PATH=/opt/bin --report-bindings"));
  EXPECT_EQ(merged, (std::vector<std::string>{"-mca", "pml", "ob1", "--bind-to", "core", "--mca", "btl_tcp_if_include",
                                              "eth 2", "-x", "PATH=/opt/bin", "--report-bindings"}));
  EXPECT_THROW(split_words("--foo 'unterminated"), ConfigError);
  EXPECT_THROW(merge_mpi_options({}, {"-mca", "only_key"}), ConfigError);
}

TEST(MpirunCommand, LocalSimulationRunsEverythingHere) {
  const RankMap map({"algo-1", "algo-2", "algo-3"}, 2);
  MpirunRequest request;
  request.ranks = &map;
  request.local = true;
  request.hostfile_path = "h";
  request.rank_command = {"ringsim"};
  const MpirunPlan plan = plan_mpirun(request);
  EXPECT_EQ(plan.hostfile, "localhost slots=6\n");
  EXPECT_NE(std::find(plan.argv.begin(), plan.argv.end(), "--oversubscribe"), plan.argv.end());
  EXPECT_EQ(std::find(plan.argv.begin(), plan.argv.end(), "btl_tcp_if_include"), plan.argv.end());
}

TEST(MpirunCommand, HostnameShimReachesMpirunAndEveryRank) {
  const RankMap map({"algo-1", "algo-2"}, 2);
  MpirunRequest request;
  request.ranks = &map;
  request.hostfile_path = "/tmp/hosts";
  request.rank_command = {"ringsim"};
  request.hostname_shim = "/opt/ringsim/lib/libringsim_hostname.so";
  request.resource_config = "/opt/ml/input/config/resourceconfig.json";
  request.inherited_preload = "/usr/lib/other.so";
  const MpirunPlan plan = plan_mpirun(request);
  const std::vector<std::string> head = {"env", "LD_PRELOAD=/opt/ringsim/lib/libringsim_hostname.so:/usr/lib/other.so",
                                         "RINGSIM_RESOURCE_CONFIG=/opt/ml/input/config/resourceconfig.json", "mpirun"};
  ASSERT_GE(plan.argv.size(), head.size());
  EXPECT_TRUE(std::equal(head.begin(), head.end(), plan.argv.begin()));
  EXPECT_EQ(plan.hostfile_path, "/tmp/hosts");
  std::string joined;
  for (const auto& word : plan.argv) joined += word + " ";
  EXPECT_THAT(joined, HasSubstr("-x LD_PRELOAD "));
  EXPECT_THAT(joined, HasSubstr("-x RINGSIM_RESOURCE_CONFIG "));
  // And the workers' daemons, which mpirun starts over ssh.
  EXPECT_THAT(joined, HasSubstr("-mca orte_launch_agent env LD_PRELOAD=/opt/ringsim/lib/libringsim_hostname.so "
                                "RINGSIM_RESOURCE_CONFIG=/opt/ml/input/config/resourceconfig.json orted "));
}
