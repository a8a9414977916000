// Reading SageMaker's config files and environment, and decoding its
// double-encoded hyperparameters (launcher/sagemaker_config).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include "common/errors.hpp"
#include "launcher/hyperparameter_environment.hpp"
#include "launcher/sagemaker_config.hpp"
#include "tests/launcher/ml_root.hpp"

using namespace ringsim;
using ringsim::testing::MlRoot;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

TEST(Hyperparameters, DoubleEncodedValuesAreDecoded) {
  EXPECT_EQ(decode_hyperparameter("\"abc\""), "abc");
  EXPECT_EQ(decode_hyperparameter("\"10\""), "10");
  EXPECT_EQ(decode_hyperparameter("10"), "10");
  EXPECT_EQ(decode_hyperparameter("0.25"), "0.25");
  // Numbers keep the text they were written with (JSON would print 1e-07).
  EXPECT_EQ(decode_hyperparameter("1e-7"), "1e-7");
  EXPECT_EQ(decode_hyperparameter(" 0.99999995 "), "0.99999995");
  EXPECT_EQ(decode_hyperparameter("plain text"), "plain text");
  EXPECT_EQ(decode_hyperparameter("true"), "true");
}

TEST_F(MlRoot, ReadsTheContract) {
  write("resourceconfig.json",
        R"({"current_host":"algo-2","hosts":["algo-10","algo-2","algo-1"],"network_interface_name":"eth1",
            "current_instance_type":"ml.c5.18xlarge"})");
  write("hyperparameters.json", R"({"k":"\"7\"","mode":"\"full\"","sagemaker_region":"\"us-east-1\""})");
  write("inputdataconfig.json",
        R"({"train":{"ContentType":"application/x-npy","S3DistributionType":"ShardedByS3Key"}})");
  const auto config =
      load_sagemaker_config(root_.string(), {{"SM_NUM_CPUS", "36"}, {"RINGSIM_SYSFS_ROOT", "/nonexistent"}});
  EXPECT_EQ(config.current_host, "algo-2");
  EXPECT_EQ(config.hosts.size(), 3u);
  EXPECT_EQ(config.network_interface, "eth1");
  EXPECT_EQ(config.hyperparameters.at("k"), "7");
  EXPECT_EQ(config.hyperparameters.at("mode"), "full");
  EXPECT_EQ(config.channels.at("train").distribution, "ShardedByS3Key");
  EXPECT_EQ(config.cpus, 36);
}

TEST_F(MlRoot, MissingInterfaceFallsBackToEth0) {
  write("resourceconfig.json", R"({"current_host":"algo-1-x7k2p","hosts":["algo-1-x7k2p"]})");
  EXPECT_EQ(load_sagemaker_config(root_.string(), {}).network_interface, "eth0");
}

TEST_F(MlRoot, UnknownCurrentHostIsAnError) {
  write("resourceconfig.json", R"({"current_host":"algo-9","hosts":["algo-1","algo-2"]})");
  EXPECT_THAT(loading(),
              ThrowsMessage<ConfigError>(HasSubstr("current_host 'algo-9' is not in hosts [algo-1, algo-2]")));
}

TEST_F(MlRoot, MalformedJsonNamesTheFile) {
  write("resourceconfig.json", R"({"current_host":"algo-1","hosts":["algo-1")");
  EXPECT_THAT(loading(), ThrowsMessage<ConfigError>(HasSubstr("resourceconfig.json: malformed JSON")));
  write("resourceconfig.json", R"({"current_host":"algo-1","hosts":["algo-1"]})");
  write("hyperparameters.json", "{not json");
  EXPECT_THAT(loading(), ThrowsMessage<ConfigError>(HasSubstr("hyperparameters.json: malformed JSON")));
  write("hyperparameters.json", "{}");
  write("inputdataconfig.json", R"({"train":{"S3DistributionType":"Shuffled"}})");
  EXPECT_THAT(loading(), ThrowsMessage<ConfigError>(HasSubstr("unknown S3DistributionType 'Shuffled'")));
}

TEST_F(MlRoot, EnvironmentIsTheFallback) {
  const auto config = load_sagemaker_config(root_.string(), {{"SM_HOSTS", R"(["algo-1","algo-2"])"},
                                                             {"SM_CURRENT_HOST", "algo-2"},
                                                             {"SM_HPS", R"({"k":"3"})"},
                                                             {"SM_NETWORK_INTERFACE_NAME", "eth3"}});
  EXPECT_EQ(config.current_host, "algo-2");
  EXPECT_EQ(config.network_interface, "eth3");
  EXPECT_EQ(config.hyperparameters.at("k"), "3");
  EXPECT_THAT(loading(), ThrowsMessage<ConfigError>(HasSubstr("not found and SM_HOSTS not set")));
}

// The variables that carry hyperparameters (and so the job secret) leave the
// launcher's environment; the rest of SageMaker's stay (cli.child_environment
// reads a rank's /proc/PID/environ).
TEST(HyperparameterEnvironment, OnlyTheVariablesCarryingHyperparametersAreRemoved) {
  for (const char* name : {"SM_HPS", "SM_HP_JOB_SECRET", "SM_HP_K", "SM_TRAINING_ENV", "SM_USER_ARGS"}) {
    EXPECT_TRUE(carries_hyperparameters(name)) << name;
    ::setenv(name, "secret", 1);
  }
  for (const char* name : {"SM_HOSTS", "SM_NUM_GPUS", "SM_CHANNEL_TRAIN", "SM_HPX", "RINGSIM_SM_HPS"}) {
    EXPECT_FALSE(carries_hyperparameters(name)) << name;
    ::setenv(name, "kept", 1);
  }
  const auto removed = remove_hyperparameter_variables();
  EXPECT_EQ(removed.size(), 5u);
  for (const char* name : {"SM_HPS", "SM_HP_JOB_SECRET", "SM_HP_K", "SM_TRAINING_ENV", "SM_USER_ARGS"})
    EXPECT_EQ(std::getenv(name), nullptr) << name;
  for (const char* name : {"SM_HOSTS", "SM_NUM_GPUS", "SM_CHANNEL_TRAIN", "SM_HPX", "RINGSIM_SM_HPS"}) {
    EXPECT_STREQ(std::getenv(name), "kept") << name;
    ::unsetenv(name);
  }
}
