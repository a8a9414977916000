// The launcher's pure parts, without processes: config parsing, the rank
// map, hyperparameters and the mpirun command line.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/errors.hpp"
#include "launcher/launch_settings.hpp"
#include "launcher/mpirun_command.hpp"
#include "launcher/natural_order.hpp"
#include "launcher/rank_map.hpp"
#include "launcher/sagemaker_config.hpp"

using namespace ringsim;
namespace fs = std::filesystem;

namespace {

class MlRoot : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("ringsim-ml-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(root_ / "input/config");
  }
  void TearDown() override { fs::remove_all(root_); }
  void write(const std::string& name, const std::string& text) { std::ofstream(root_ / "input/config" / name) << text; }
  std::string error_of(const Environment& environment = {}) {
    try {
      load_sagemaker_config(root_.string(), environment);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  }
  fs::path root_;
};

}  // namespace

TEST(NaturalOrder, NumbersCompareAsNumbers) {
  EXPECT_TRUE(natural_less("algo-2", "algo-10"));
  EXPECT_FALSE(natural_less("algo-10", "algo-2"));
  EXPECT_TRUE(natural_less("algo-1-x7k2p", "algo-2-abcde"));
  EXPECT_TRUE(natural_less("algo-9-zzzzz", "algo-10-aaaaa"));
  EXPECT_EQ(natural_sorted({"algo-10", "algo-2", "algo-1", "algo-11", "algo-3"}),
            (std::vector<std::string>{"algo-1", "algo-2", "algo-3", "algo-10", "algo-11"}));
  // Total order: equal numbers with different zero padding still differ.
  EXPECT_NE(natural_less("h01", "h1"), natural_less("h1", "h01"));
}

TEST(RankMap, ContiguousRanksPerHostInNaturalOrder) {
  const RankMap map({"algo-10", "algo-2", "algo-1"}, 2);
  EXPECT_EQ(map.ranks(), 6);
  EXPECT_EQ(map.host_of(0), "algo-1");
  EXPECT_EQ(map.host_of(1), "algo-1");
  EXPECT_EQ(map.host_of(2), "algo-2");
  EXPECT_EQ(map.host_of(5), "algo-10");
  EXPECT_EQ(map.local_rank(3), 1);
  EXPECT_EQ(map.host_index("algo-10"), 2);
  EXPECT_EQ(map.host_index("algo-7"), -1);
  EXPECT_EQ(map.table(), "rank 0-1 -> algo-1\nrank 2-3 -> algo-2\nrank 4-5 -> algo-10\n");
  EXPECT_THROW(RankMap({"a", "a"}, 1), ConfigError);
  EXPECT_THROW(RankMap({}, 1), ConfigError);
  EXPECT_THROW(RankMap({"a"}, 0), ConfigError);
}

TEST(Hyperparameters, DoubleEncodedValuesAreDecoded) {
  EXPECT_EQ(decode_hyperparameter("\"abc\""), "abc");
  EXPECT_EQ(decode_hyperparameter("\"10\""), "10");
  EXPECT_EQ(decode_hyperparameter("10"), "10");
  EXPECT_EQ(decode_hyperparameter("0.25"), "0.25");
  EXPECT_EQ(decode_hyperparameter("plain text"), "plain text");
  EXPECT_EQ(decode_hyperparameter("true"), "true");
}

TEST(Hyperparameters, MapToSettingsAndRejectUnknownOrIllTyped) {
  const auto s = parse_launch_settings({{"k", "5"},
                                        {"mode", "threshold"},
                                        {"threshold", "0.75"},
                                        {"processes_per_host", "3"},
                                        {"transport", "tls"},
                                        {"sagemaker_program", "train"},
                                        {"mpi_options", "--bind-to core"},
                                        {"tls_crypto", "openssl"}});
  EXPECT_EQ(s.k, 5);
  EXPECT_EQ(s.tls_crypto, "openssl");
  EXPECT_EQ(s.mode, "threshold");
  EXPECT_DOUBLE_EQ(s.threshold, 0.75);
  EXPECT_EQ(s.processes_per_host, 3);
  EXPECT_EQ(s.transport, "tls");
  const auto message = [](std::map<std::string, std::string> hp) {
    try {
      parse_launch_settings(hp);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(message({{"kk", "5"}}).find("unknown hyperparameter 'kk'"), std::string::npos);
  EXPECT_NE(message({{"k", "five"}}).find("'k' must be an integer"), std::string::npos);
  EXPECT_NE(message({{"k", "0"}}).find("'k' must be an integer >= 1"), std::string::npos);
  EXPECT_NE(message({{"threshold", "high"}}).find("'threshold' must be a number"), std::string::npos);
  EXPECT_NE(message({{"transport", "udp"}}).find("'transport' must be one of"), std::string::npos);
  EXPECT_NE(message({{"tls_crypto", "fast"}}).find("'tls_crypto' must be one of"), std::string::npos);
}

TEST_F(MlRoot, ReadsTheContract) {
  write("resourceconfig.json",
        R"({"current_host":"algo-2","hosts":["algo-10","algo-2","algo-1"],"network_interface_name":"eth1",
            "current_instance_type":"ml.c5.18xlarge"})");
  write("hyperparameters.json", R"({"k":"\"7\"","mode":"\"full\"","sagemaker_region":"\"us-east-1\""})");
  write("inputdataconfig.json",
        R"({"train":{"ContentType":"application/x-npy","S3DistributionType":"ShardedByS3Key"}})");
  const auto config = load_sagemaker_config(root_.string(), {{"SM_NUM_CPUS", "36"}});
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
  EXPECT_NE(error_of().find("current_host 'algo-9' is not in hosts [algo-1, algo-2]"), std::string::npos);
}

TEST_F(MlRoot, MalformedJsonNamesTheFile) {
  write("resourceconfig.json", R"({"current_host":"algo-1","hosts":["algo-1")");
  const std::string message = error_of();
  EXPECT_NE(message.find("resourceconfig.json: malformed JSON"), std::string::npos) << message;
  write("resourceconfig.json", R"({"current_host":"algo-1","hosts":["algo-1"]})");
  write("hyperparameters.json", "{not json");
  EXPECT_NE(error_of().find("hyperparameters.json: malformed JSON"), std::string::npos);
  write("hyperparameters.json", "{}");
  write("inputdataconfig.json", R"({"train":{"S3DistributionType":"Shuffled"}})");
  EXPECT_NE(error_of().find("unknown S3DistributionType 'Shuffled'"), std::string::npos);
}

TEST_F(MlRoot, EnvironmentIsTheFallback) {
  const auto config = load_sagemaker_config(root_.string(), {{"SM_HOSTS", R"(["algo-1","algo-2"])"},
                                                             {"SM_CURRENT_HOST", "algo-2"},
                                                             {"SM_HPS", R"({"k":"3"})"},
                                                             {"SM_NETWORK_INTERFACE_NAME", "eth3"}});
  EXPECT_EQ(config.current_host, "algo-2");
  EXPECT_EQ(config.network_interface, "eth3");
  EXPECT_EQ(config.hyperparameters.at("k"), "3");
  EXPECT_NE(error_of().find("not found and SM_HOSTS not set"), std::string::npos);
}

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
