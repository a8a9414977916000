// What a host counts before it decides its ranks: physical cores from a
// (fake) sysfs, GPUs from a (fake) device folder (launcher/host_cores,
// launcher/gpu_ranks), and what the plan makes of them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "common/errors.hpp"
#include "common/host.hpp"
#include "launcher/gpu_ranks.hpp"
#include "launcher/host_cores.hpp"
#include "launcher/launch.hpp"
#include "launcher/launch_plan.hpp"
#include "tests/launcher/ml_root.hpp"
#include "tests/scratch_dir.hpp"

using namespace ringsim;
using ringsim::testing::MlRoot;
using ringsim::testing::ScratchDir;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace fs = std::filesystem;

namespace {

void put(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text << "\n";
}

// A sysfs of `cores` cores with 2 threads each, numbered as Linux numbers
// an Intel host's: CPU c and CPU c + cores share core c (c5.18xlarge:
// 0 and 36).
void fake_sysfs(const fs::path& root, int cores) {
  put(root / "devices/system/cpu/online", "0-" + std::to_string(2 * cores - 1));
  for (int cpu = 0; cpu < 2 * cores; ++cpu) {
    const int core = cpu % cores;
    put(root / ("devices/system/cpu/cpu" + std::to_string(cpu)) / "topology/thread_siblings_list",
        std::to_string(core) + "," + std::to_string(core + cores));
  }
}

}  // namespace

TEST(HostCores, TwoThreadsPerCoreCountOnce) {
  ScratchDir sys("sysfs");
  fake_sysfs(sys.path(), 36);
  auto cores = physical_cores(sys.path().string());
  ASSERT_TRUE(cores);
  EXPECT_EQ(cores->cores, 36);
  EXPECT_THAT(cores->why, ::testing::AllOf(HasSubstr("36 physical cores"), HasSubstr("72 CPUs online 0-71"),
                                           HasSubstr("2 threads per core")));
  // The container's cgroup cpuset: CPUs 0-3 and their siblings 36-39 are 4
  // cores; 0-7 alone (one thread of 8 cores) are 8.
  put(sys.path() / "fs/cgroup/cpuset.cpus.effective", "0-3,36-39");
  EXPECT_EQ(physical_cores(sys.path().string())->cores, 4);
  EXPECT_THAT(physical_cores(sys.path().string())->why, HasSubstr("in the cgroup cpuset 0-3,36-39"));
  put(sys.path() / "fs/cgroup/cpuset.cpus.effective", "0-7");
  EXPECT_EQ(physical_cores(sys.path().string())->cores, 8);
  // cgroup v1's file, when v2's is absent.
  fs::remove(sys.path() / "fs/cgroup/cpuset.cpus.effective");
  put(sys.path() / "fs/cgroup/cpuset/cpuset.effective_cpus", "10,46");
  EXPECT_EQ(physical_cores(sys.path().string())->cores, 1);
  // No topology: nothing to count (the caller falls back to SM_NUM_CPUS).
  fs::remove_all(sys.path() / "devices/system/cpu/cpu10");
  EXPECT_FALSE(physical_cores(sys.path().string()));
  EXPECT_FALSE(physical_cores((sys.path() / "absent").string()));
  put(sys.path() / "fs/cgroup/cpuset/cpuset.effective_cpus", "3-1");
  EXPECT_THAT([&] { physical_cores(sys.path().string()); }, ThrowsMessage<ConfigError>(HasSubstr("runs backwards")));
  EXPECT_THAT(parse_cpu_list("0-2,5,7-8", "x"), ::testing::ElementsAre(0, 1, 2, 5, 7, 8));
}

// ml.c5.18xlarge: SM_NUM_CPUS=72 (vCPUs), 36 cores. The default is 36 ranks
// per host, and the dry run says why; SM_NUM_CPUS only when sysfs is unread.
TEST_F(MlRoot, RanksPerHostDefaultToPhysicalCores) {
  ScratchDir sys("sysfs");
  fake_sysfs(sys.path(), 36);
  write("resourceconfig.json", R"({"current_host":"algo-1","hosts":["algo-1","algo-2"]})");
  write("hyperparameters.json", R"({"insecure_unauthenticated_control":"true"})");
  const LaunchOptions options{root_.string(), true, false};
  const auto plan_with = [&](const Environment& environment) {
    return make_plan(options, load_sagemaker_config(root_.string(), environment), sys.file("scratch"));
  };
  const Plan plan = plan_with({{"SM_NUM_CPUS", "72"}, {"RINGSIM_SYSFS_ROOT", sys.path().string()}});
  EXPECT_EQ(plan.ranks.ranks(), 72);  // 36 per host
  EXPECT_THAT(
      dry_run_checks(plan, options),
      ::testing::AllOf(HasSubstr("ranks per host: 36 (one per physical core the container may use: 36 physical cores"),
                       HasSubstr("2 threads per core")));
  const Plan fallback = plan_with({{"SM_NUM_CPUS", "72"}, {"RINGSIM_SYSFS_ROOT", sys.file("absent")}});
  EXPECT_EQ(fallback.ranks.ranks(), 144);
  EXPECT_THAT(dry_run_checks(fallback, options),
              HasSubstr("ranks per host: 72 (one per vCPU: SM_NUM_CPUS=72 (the CPU topology in sysfs"));
  write("hyperparameters.json", R"({"insecure_unauthenticated_control":"true","processes_per_host":"3"})");
  EXPECT_THAT(dry_run_checks(plan_with({{"RINGSIM_SYSFS_ROOT", sys.path().string()}}), options),
              HasSubstr("ranks per host: 3 (the hyperparameter processes_per_host)"));
}

// A bring-your-own image has no SM_NUM_GPUS: the devices the container sees
// are counted; SM_NUM_GPUS only overrides.
TEST(GpuCount, DevicesTheContainerSees) {
  ScratchDir dev("dev");
  for (const char* name : {"nvidia0", "nvidia1", "nvidia3", "nvidiactl", "nvidia-uvm", "nvidia-caps", "null"})
    std::ofstream(dev.path() / name);
  const GpuCount seen = count_gpus("", dev.path().string(), false);
  EXPECT_EQ(seen.gpus, 3);
  EXPECT_THAT(seen.why,
              ::testing::AllOf(HasSubstr("nvidia0"), HasSubstr("nvidia3"), ::testing::Not(HasSubstr("nvidiactl"))));
  EXPECT_EQ(count_gpus("8", dev.path().string(), false).gpus, 8);
  EXPECT_THAT(count_gpus("8", dev.path().string(), false).why, HasSubstr("SM_NUM_GPUS"));
  EXPECT_EQ(count_gpus("", dev.file("none"), false).gpus, 0);
  EXPECT_THAT([&] { count_gpus("four", dev.path().string(), false); },
              ThrowsMessage<ConfigError>(HasSubstr("SM_NUM_GPUS must be a whole number")));
}

TEST_F(MlRoot, GpusComeFromTheDeviceFolder) {
  ScratchDir dev("dev");
  for (const char* name : {"nvidia0", "nvidia1", "nvidiactl"}) std::ofstream(dev.path() / name);
  write("resourceconfig.json", R"({"current_host":"algo-1","hosts":["algo-1"]})");
  const auto config = load_sagemaker_config(root_.string(), {{"RINGSIM_DEV_ROOT", dev.path().string()}});
  EXPECT_EQ(config.gpus, 2);
  const LaunchOptions options{root_.string(), true, false};
  EXPECT_THAT(dry_run_checks(make_plan(options, config, dev.file("scratch")), options),
              HasSubstr("GPUs: 2 (" + dev.path().string() + "/nvidia0 " + dev.path().string() + "/nvidia1)"));
}

TEST(HostRanges, SageMakerNamesWrittenAsARange) {
  EXPECT_EQ(expand_host_ranges({"algo-1..3"}), (std::vector<std::string>{"algo-1", "algo-2", "algo-3"}));
  EXPECT_EQ(expand_host_ranges({"algo-1..algo-2", "leader"}), (std::vector<std::string>{"algo-1", "algo-2", "leader"}));
  EXPECT_EQ(expand_host_ranges({"algo-10"}), (std::vector<std::string>{"algo-10"}));
  EXPECT_THAT([] { expand_host_ranges({"algo-3..1"}); }, ThrowsMessage<InputError>(HasSubstr("algo-3..1")));
}
