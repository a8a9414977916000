// Ranks per host on GPU instances (launcher/gpu_ranks).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/errors.hpp"
#include "launcher/gpu_ranks.hpp"

using namespace ringsim;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

// GPU instances: one rank per GPU when the tiles run there (device cuda),
// else one per CPU; SM_NUM_GPUS is read strictly.
TEST(GpuRanks, OneRankPerGpuWhenTheDeviceIsCuda) {
  EXPECT_EQ(default_processes_per_host(192, 8, true, 4096), 8);     // ml.p5.48xlarge, device cuda
  EXPECT_EQ(default_processes_per_host(192, 8, false, 4096), 192);  // the same host, device cpu
  EXPECT_EQ(default_processes_per_host(36, 0, true, 4096), 36);     // no GPU: the ranks say so themselves
  EXPECT_EQ(default_processes_per_host(8192, 0, false, 4096), 4096);
  EXPECT_EQ(parse_gpu_count(""), 0);
  EXPECT_EQ(parse_gpu_count("8"), 8);
  EXPECT_THAT(
      [] { parse_gpu_count("8 gpus"); },
      ThrowsMessage<ConfigError>(HasSubstr("SM_NUM_GPUS must be a whole number of GPUs (0 or more), got '8 gpus'")));
  EXPECT_THAT([] { parse_gpu_count("-1"); }, ThrowsMessage<ConfigError>(HasSubstr("SM_NUM_GPUS")));
}
