// The launcher's pure parts, without processes: config parsing,
// hyperparameters and the mpirun command line; and the control channel.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

#include "common/errors.hpp"
#include "common/rank_map.hpp"
#include "launcher/control_channel.hpp"
#include "launcher/control_handshakes.hpp"
#include "launcher/failure_report.hpp"
#include "launcher/gpu_ranks.hpp"
#include "launcher/launch.hpp"
#include "launcher/launch_settings.hpp"
#include "launcher/mpirun_command.hpp"
#include "launcher/sagemaker_config.hpp"
#include "tests/scratch_dir.hpp"
#include "tests/tls_fixture.hpp"
#include "transport/preshared_key.hpp"
#include "transport/tls_stream.hpp"

using namespace ringsim;
using ringsim::testing::ScratchDir;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::ThrowsMessage;

// ringsim run flags and the text passed with them.
using Arguments = std::vector<std::pair<std::string, std::string>>;
namespace fs = std::filesystem;

namespace {

class MlRoot : public ::testing::Test {
 protected:
  void SetUp() override { fs::create_directories(root_ / "input/config"); }
  void write(const std::string& name, const std::string& text) { std::ofstream(root_ / "input/config" / name) << text; }
  // Loading the config, as a callable for the exception matchers.
  auto loading(const Environment& environment = {}) {
    return [this, environment] { load_sagemaker_config(root_.string(), environment); };
  }
  ScratchDir scratch_{"ml"};
  const fs::path& root_ = scratch_.path();
};

// Parsing `hyperparameters`, as a callable for the exception matchers.
auto parsing(std::map<std::string, std::string> hyperparameters) {
  return [hyperparameters] { parse_launch_settings(hyperparameters); };
}

}  // namespace

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

TEST(Hyperparameters, MapToSettingsAndRejectUnknownOrIllTyped) {
  const auto s = parse_launch_settings({{"k", "5"},
                                        {"mode", "threshold"},
                                        {"threshold", "0.75"},
                                        {"processes_per_host", "3"},
                                        {"transport", "tls"},
                                        {"tls_channel", "certs"},
                                        {"sagemaker_program", "train"},
                                        {"mpi_options", "--bind-to core"},
                                        {"tls_crypto", "openssl"}});
  EXPECT_EQ(s.job.k, 5);
  EXPECT_EQ(s.job.tls_crypto, TlsCrypto::openssl);
  EXPECT_EQ(s.job.mode, Mode::threshold);
  EXPECT_EQ(s.job.threshold, 0.75);
  EXPECT_EQ(s.processes_per_host, 3);
  EXPECT_EQ(s.job.transport, TransportKind::tls);
  // Passed on to `ringsim run` as given, in key order; the launcher's own keys are not.
  EXPECT_EQ(s.job_arguments, (Arguments{{"--k", "5"},
                                        {"--mode", "threshold"},
                                        {"--threshold", "0.75"},
                                        {"--tls-crypto", "openssl"},
                                        {"--transport", "tls"}}));
  EXPECT_THAT(parsing({{"kk", "5"}}), ThrowsMessage<ConfigError>(HasSubstr("unknown hyperparameter 'kk'")));
  EXPECT_THAT(parsing({{"k", "five"}}), ThrowsMessage<ConfigError>(HasSubstr("'k' must be an integer")));
  EXPECT_THAT(parsing({{"k", "0"}}),
              ThrowsMessage<ConfigError>(HasSubstr("hyperparameter 'k' must be between 1 and 1048576, got 0")));
  EXPECT_THAT(parsing({{"max_output_bytes", "5"}, {"max_full_bytes", "6"}}),
              ThrowsMessage<ConfigError>(HasSubstr("which another key already set")));
#ifndef RINGSIM_WITH_CUDA
  EXPECT_THAT(parsing({{"device", "cuda"}}),
              ThrowsMessage<ConfigError>(HasSubstr("hyperparameter 'device' must be one of cpu, got 'cuda'")));
#endif
  EXPECT_THAT(parsing({{"threshold", "high"}}),
              ThrowsMessage<ConfigError>(HasSubstr("'threshold' must be a finite number")));
  EXPECT_THAT(parsing({{"transport", "udp"}}), ThrowsMessage<ConfigError>(HasSubstr("'transport' must be one of")));
  EXPECT_THAT(parsing({{"tls_crypto", "fast"}}), ThrowsMessage<ConfigError>(HasSubstr("'tls_crypto' must be one of")));
}

// tls without the job's certificates would pin self-signed certificates
// through the unauthenticated launch channel: only when asked for by name.
TEST(Hyperparameters, TlsWithoutACertificateChannelIsRefusedUnlessOptedIn) {
  EXPECT_THAT(parsing({{"transport", "tls"}}),
              ThrowsMessage<ConfigError>(AllOf(HasSubstr("set the hyperparameter tls_channel=certs"),
                                               HasSubstr("tls_trust=launch-channel-fingerprints"))))
      << "transport=tls without tls_channel must be refused";
  const auto opted_in = parse_launch_settings({{"transport", "tls"}, {"tls_trust", "launch-channel-fingerprints"}});
  EXPECT_EQ(opted_in.tls_trust, "launch-channel-fingerprints");
  EXPECT_THROW(parse_launch_settings(
                   {{"transport", "tls"}, {"tls_channel", "certs"}, {"tls_trust", "launch-channel-fingerprints"}}),
               ConfigError);
  EXPECT_NO_THROW(parse_launch_settings({{"transport", "tcp"}}));
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

TEST_F(MlRoot, GpuInstanceRunsOneRankPerGpu) {
  write("resourceconfig.json", R"({"current_host":"algo-1","hosts":["algo-1","algo-2"]})");
  const auto np = [&](std::string hyperparameters, std::map<std::string, std::string> environment) {
    hyperparameters.insert(1, R"("job_secret":"0123456789abcdef0123456789abcdef",)");
    write("hyperparameters.json", hyperparameters);
    const auto config = load_sagemaker_config(root_.string(), environment);
    const auto argv = launch_mpirun_argv({root_.string(), false, false}, config);
    const auto it = std::find(argv.begin(), argv.end(), "-np");
    return it == argv.end() || it + 1 == argv.end() ? std::string("(absent)") : *(it + 1);
  };
  const auto config = load_sagemaker_config(root_.string(), {{"SM_NUM_CPUS", "16"}, {"SM_NUM_GPUS", "4"}});
  EXPECT_EQ(config.gpus, 4);
  // Device cpu on the GPU instance: a rank per CPU, as before.
  EXPECT_EQ(np(R"({"k":"5"})", {{"SM_NUM_CPUS", "16"}, {"SM_NUM_GPUS", "4"}}), "32");
#ifdef RINGSIM_WITH_CUDA
  EXPECT_EQ(np(R"({"device":"cuda"})", {{"SM_NUM_CPUS", "16"}, {"SM_NUM_GPUS", "4"}}), "8");
  EXPECT_EQ(np(R"({"device":"cuda","processes_per_host":"2"})", {{"SM_NUM_CPUS", "16"}, {"SM_NUM_GPUS", "4"}}), "4");
#endif
  EXPECT_THAT(
      [&] {
        load_sagemaker_config(root_.string(), {{"SM_NUM_GPUS", "four"}});
      },
      ThrowsMessage<ConfigError>(HasSubstr("SM_NUM_GPUS must be a whole number")));
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

TEST(Hyperparameters, NumbersAreCheckedNotRewritten) {
  const auto s = parse_launch_settings({{"threshold", "0.99999995"},
                                        {"k", "1048576"},
                                        {"tile", "4096"},
                                        {"timeout", "2.50"},
                                        {"max_full_bytes", "9223372036854775807"}});
  EXPECT_EQ(s.job_arguments, (Arguments{{"--k", "1048576"},
                                        {"--max-output-bytes", "9223372036854775807"},
                                        {"--threshold", "0.99999995"},
                                        {"--tile", "4096"},
                                        {"--timeout", "2.50"}}));
  // Out of range is refused by name, never wrapped (4294967306 mod 2^32 = 10).
  EXPECT_THAT(parsing({{"k", "4294967306"}}),
              ThrowsMessage<ConfigError>(HasSubstr("hyperparameter 'k' is out of range")));
  EXPECT_THAT(parsing({{"k", "99999999999999999999999"}}),
              ThrowsMessage<ConfigError>(HasSubstr("'k' is out of range")));
  EXPECT_THAT(parsing({{"processes_per_host", "2147483647"}}),
              ThrowsMessage<ConfigError>(HasSubstr(
                  "'processes_per_host' is out of range: must be an integer from 1 to 4096, got '2147483647'")));
  EXPECT_THAT(parsing({{"k", "10 "}}), ThrowsMessage<ConfigError>(HasSubstr("'k' must be an integer")));
  EXPECT_THAT(parsing({{"k", "1.5"}}), ThrowsMessage<ConfigError>(HasSubstr("'k' must be an integer")));
  EXPECT_THAT(parsing({{"threshold", "nan"}}),
              ThrowsMessage<ConfigError>(HasSubstr("'threshold' must be a finite number")));
  EXPECT_THAT(parsing({{"threshold", " 0.5"}}),
              ThrowsMessage<ConfigError>(HasSubstr("'threshold' must be a finite number")));
  EXPECT_THAT(parsing({{"timeout", "1e300"}}),
              ThrowsMessage<ConfigError>(HasSubstr("'timeout' must be between 0.001 and 1000000 seconds")));
  EXPECT_THAT(parsing({{"timeout", "0"}}), ThrowsMessage<ConfigError>(HasSubstr("'timeout' must be between")));
  EXPECT_THAT(parsing({{"wait_seconds", "0"}}),
              ThrowsMessage<ConfigError>(HasSubstr("'wait_seconds' must be seconds in (0, 604800]")));
  EXPECT_THAT(parsing({{"control_port", "70000"}}),
              ThrowsMessage<ConfigError>(HasSubstr("'control_port' is out of range")));
}

TEST(Hyperparameters, ToolkitMpiKeys) {
  auto s = parse_launch_settings({{"sagemaker_mpi_enabled", "true"},
                                  {"sagemaker_mpi_num_of_processes_per_host", "3"},
                                  {"sagemaker_mpi_custom_mpi_options", "-mca btl_tcp_if_include eth2"},
                                  {"mpi_options", "--bind-to core"}});
  EXPECT_EQ(s.processes_per_host, 3);
  EXPECT_EQ(s.mpi_options, "-mca btl_tcp_if_include eth2 --bind-to core");
  s = parse_launch_settings({{"sagemaker_mpi_num_of_processes_per_host", "2"}, {"processes_per_host", "2"}});
  EXPECT_EQ(s.processes_per_host, 2);
  EXPECT_THAT(parsing({{"sagemaker_mpi_enabled", "false"}}),
              ThrowsMessage<ConfigError>(HasSubstr("'sagemaker_mpi_enabled' is false")));
  EXPECT_THAT(parsing({{"sagemaker_mpi_enabled", "maybe"}}),
              ThrowsMessage<ConfigError>(HasSubstr("must be true or false")));
  EXPECT_THAT(parsing({{"sagemaker_mpi_num_of_processes_per_host", "4"}, {"processes_per_host", "2"}}),
              ThrowsMessage<ConfigError>(HasSubstr("disagree")));
  EXPECT_THAT(parsing({{"sagemaker_mpi_num_of_processes_per_host", "0"}}),
              ThrowsMessage<ConfigError>(HasSubstr("out of range")));
  // Other SageMaker keys stay ignored.
  EXPECT_NO_THROW(parse_launch_settings({{"sagemaker_program", "train"}, {"sagemaker_region", "us-east-1"}}));
}

TEST_F(MlRoot, HyperparametersReachTheRankCommandAsGiven) {
  write("resourceconfig.json", R"({"current_host":"algo-1","hosts":["algo-1","algo-2"]})");
  // As the Python SDK writes them: every value JSON-encoded a second time.
  write("hyperparameters.json",
        R"({"threshold":"0.99999995","k":"\"12\"","timeout":"2.50","mode":"\"threshold\"",
            "sagemaker_mpi_custom_mpi_options":"\"-mca btl_tcp_if_include eth7\"","tile":"4096",
            "job_secret":"\"0123456789abcdef0123456789abcdef\""})");
  const auto config = load_sagemaker_config(root_.string(), {{"SM_NUM_CPUS", "2"}});
  const auto argv = launch_mpirun_argv({root_.string(), false, false}, config);
  const auto value_of = [&](const std::string& option) {
    const auto it = std::find(argv.begin(), argv.end(), option);
    return it == argv.end() || it + 1 == argv.end() ? std::string("(absent)") : *(it + 1);
  };
  EXPECT_EQ(value_of("--threshold"), "0.99999995");
  EXPECT_EQ(value_of("--timeout"), "2.50");
  EXPECT_EQ(value_of("--k"), "12");
  EXPECT_EQ(value_of("--tile"), "4096");
  EXPECT_EQ(value_of("-np"), "4");
  EXPECT_EQ(value_of("btl_tcp_if_include"), "eth7");  // the toolkit's option overrides the default eth0

  write("hyperparameters.json", R"({"processes_per_host":"2147483647"})");
  EXPECT_THAT(
      [&] {
        launch_mpirun_argv({root_.string(), false, false}, load_sagemaker_config(root_.string(), {}));
      },
      ThrowsMessage<ConfigError>(HasSubstr("'processes_per_host' is out of range")))
      << "2147483647 ranks per host accepted";
}

// Every SageMaker container's host name is "aws": a rank learns its host
// from its own resourceconfig.json, and over several hosts listens on the
// job's interface; mpirun and the ranks run with the gethostname() shim.
TEST_F(MlRoot, RanksTakeTheirHostFromResourceConfigNotTheHostName) {
  write("resourceconfig.json",
        R"({"current_host":"algo-1","hosts":["algo-1","algo-2"],"network_interface_name":"eth1"})");
  write("hyperparameters.json", R"({"insecure_unauthenticated_control":"true"})");
  const auto argv = launch_mpirun_argv({root_.string(), false, false}, load_sagemaker_config(root_.string(), {}));
  const auto value_of = [&](const std::string& option) {
    const auto it = std::find(argv.begin(), argv.end(), option);
    return it == argv.end() || it + 1 == argv.end() ? std::string("(absent)") : *(it + 1);
  };
  EXPECT_EQ(value_of("--resource-config"), (root_ / "input/config/resourceconfig.json").string());
  EXPECT_EQ(value_of("--bind"), "eth1");
  EXPECT_EQ(std::find(argv.begin(), argv.end(), "--check-hosts"), argv.end()) << "gethostname() says aws there";
  EXPECT_NE(value_of("--hostfile"), "(absent)");
}

TEST_F(MlRoot, OneHostRunsItsRanksWithoutSshOrNames) {
  write("resourceconfig.json", R"({"current_host":"algo-1","hosts":["algo-1"],"network_interface_name":"eth1"})");
  const auto argv = launch_mpirun_argv({root_.string(), false, false}, load_sagemaker_config(root_.string(), {}));
  std::string joined;
  for (const auto& word : argv) joined += word + " ";
  EXPECT_EQ(argv.front(), "mpirun") << "no shim: one host has no name to mix up";
  EXPECT_THAT(joined, HasSubstr("--oversubscribe"));
  EXPECT_THAT(joined, Not(HasSubstr("plm_rsh_args"))) << "no ssh for one host: " << joined;
  EXPECT_THAT(joined, Not(HasSubstr("btl_tcp_if_include")));
  EXPECT_THAT(joined, Not(HasSubstr("--bind ")));
  EXPECT_THAT(joined, HasSubstr("--resource-config "));
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

TEST(FailureReport, NamesTheFirstRankThatFailed) {
  FailureReport report;
  EXPECT_EQ(report.summary(), "");
  // Echoes of the death arrive first; mpirun's own line names the cause.
  report.add_line("[1,0]<stderr>:ringsim: error: rank 0 (host algo-1) ring step 2: lost rank 2 (connection reset)");
  report.add_line("[1,4]<stderr>:ringsim: error: rank 4 (host algo-3) stopped by signal 15");
  report.add_line("--------------------------------------------------------------------------");
  report.add_line("mpirun noticed that process rank 2 with PID 4242 on node algo-2 exited on signal 9 (Killed).");
  report.add_line("mpirun noticed that process rank 3 with PID 4243 on node algo-2 exited on signal 15 (Terminated).");
  EXPECT_EQ(report.summary(),
            "rank 2 (host algo-2) was killed by signal 9 (Killed); first error reported: rank 0 (host algo-1): ring "
            "step 2: lost rank 2 (connection reset)");
  // In a local simulation mpirun's node is this machine: the rank map names the host.
  FailureReport local({"algo-1", "algo-1", "algo-2"});
  local.add_line("[1,1]<stderr>:ringsim: error: rank 1: stopped by signal 15 (SIGTERM)");
  EXPECT_EQ(local.summary(), "rank 1 (host algo-1): stopped by signal 15 (SIGTERM)");
  local.add_line("mpirun noticed that process rank 2 with PID 7 on node vm exited on signal 9 (Killed).");
  EXPECT_EQ(local.summary(), "rank 2 (host algo-2) was killed by signal 9 (Killed)");
}

TEST(FailureReport, ErrorLinesLostDaemonsAndSsh) {
  FailureReport errors({"algo-1", "algo-1", "algo-2", "algo-2"});
  errors.add_line("[1,3]<stderr>:ringsim: error: NaN at row 300 of part-001.npy");
  errors.add_line("[1,1]<stderr>:ringsim: error: rank 1 (host algo-1) stopped by signal 15");
  EXPECT_EQ(errors.summary(), "rank 3 (host algo-2): NaN at row 300 of part-001.npy");

  FailureReport lost;
  lost.add_line("ORTE has lost communication with a remote daemon.");
  lost.add_line("  HNP daemon   : [[4711,0],0] on node algo-1");
  lost.add_line("  Remote daemon: [[4711,0],2] on node algo-3");
  EXPECT_EQ(lost.summary().rfind("mpirun lost contact with host algo-3", 0), 0u) << lost.summary();

  // A rank dying of SIGPIPE because the lost host's socket broke is an echo.
  FailureReport echo({"algo-1", "algo-1", "algo-2", "algo-2", "algo-3", "algo-3"});
  echo.add_line("mpirun noticed that process rank 3 with PID 5 on node algo-2 exited on signal 13 (Broken pipe).");
  EXPECT_EQ(echo.summary(), "rank 3 (host algo-2) was killed by signal 13 (Broken pipe)");
  echo.add_line("ORTE has lost communication with a remote daemon.");
  echo.add_line("  Remote daemon: [[4711,0],2] on node algo-3");
  EXPECT_EQ(echo.summary().rfind("mpirun lost contact with host algo-3", 0), 0u) << echo.summary();

  FailureReport ssh;
  ssh.add_line("ssh: connect to host algo-2 port 22: Connection timed out");
  EXPECT_EQ(ssh.summary(),
            "mpirun could not reach host algo-2 over ssh: ssh: connect to host algo-2 port 22: "
            "Connection timed out");
}

// Issue 21: "ssh: Could not resolve hostname algo-1: ..." was reported as
// "mpirun could not reach host Could over ssh".
TEST(FailureReport, SshNamesTheHostWhereverSshPutsIt) {
  FailureReport unresolved;
  unresolved.add_line("ssh: Could not resolve hostname algo-1: Name or service not known");
  EXPECT_EQ(unresolved.summary(),
            "mpirun could not reach host algo-1 over ssh: ssh: Could not resolve hostname algo-1: Name or service "
            "not known");
  FailureReport unnamed;
  unnamed.add_line("ssh: Permission denied (publickey).");
  EXPECT_EQ(unnamed.summary(), "mpirun could not reach a host over ssh: ssh: Permission denied (publickey).");
}

// Issue 21: a rank's "in phase ring: stopped by signal 15" (mpirun tearing the
// job down) was kept as the first error ahead of the real one.
TEST(FailureReport, StopEchoesAfterThePhaseAreNotTheCause) {
  FailureReport report({"algo-1", "algo-1", "algo-2", "algo-2"});
  report.add_line(
      "[1,0]<stderr>:ringsim: error: rank 0 (host algo-1) in phase ring: stopped by signal 15 (SIGTERM); "
      "no output was written");
  report.add_line("[1,3]<stderr>:ringsim: error: rank 3 (host algo-2) in phase load: NaN at row 7 of X.npy");
  EXPECT_EQ(report.summary(), "rank 3 (host algo-2): in phase load: NaN at row 7 of X.npy");
  FailureReport only_stops({"algo-1"});
  only_stops.add_line(
      "[1,0]<stderr>:ringsim: error: rank 0 (host algo-1) in phase ring: stopped by signal 15 (SIGTERM)");
  EXPECT_EQ(only_stops.summary(), "rank 0 (host algo-1): in phase ring: stopped by signal 15 (SIGTERM)");
}

// A worker on an authenticated control channel hears the outcome only from
// the leader: a plaintext "RSIMEXIT 0" from anyone and an impostor whose
// credentials the worker refuses are ignored (no key installed, no fake
// outcome), and the worker keeps listening for the real leader.
void expect_worker_hears_only_the_leader(const TlsContext& worker_tls, const TlsContext& leader_tls,
                                         const TlsContext& impostor_tls) {
  Endpoint bound;
  { Socket probe = listen_on({"127.0.0.1", 0}, bound); }  // a free port
  std::optional<WorkerChannel> worker;
  worker.emplace(Endpoint{"127.0.0.1", bound.port});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  const std::string job_key =
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl ringsim-job";
  std::thread intruders([&] {
    {
      Socket plain = connect_to({"127.0.0.1", bound.port}, deadline);
      const std::string fake = "RSIMEXIT 0 all fine\n";
      write_exact(plain.fd(), {reinterpret_cast<const std::byte*>(fake.data()), fake.size()}, deadline, "fake");
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    try {
      // TLS 1.3 lets the client finish before the server has checked its
      // certificate: the impostor may get as far as sending.
      LeaderChannel impostor;
      impostor.connect({{"algo-2", {"127.0.0.1", bound.port}}},
                       std::chrono::steady_clock::now() + std::chrono::seconds(3), &impostor_tls);
      impostor.share_ssh_key("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIImpostorsKey impostor",
                             std::chrono::steady_clock::now() + std::chrono::seconds(2));
      impostor.announce({0, "impostor"});
    } catch (const Error&) {
    }
    LeaderChannel leader;
    leader.connect({{"algo-2", {"127.0.0.1", bound.port}}}, deadline, &leader_tls);
    leader.share_ssh_key(job_key, deadline);
    leader.announce({7, "the real outcome"});
  });
  const ScratchDir scratch("keys");
  const auto keys = scratch.path() / "authorized_keys";
  std::ofstream(keys) << "ssh-ed25519 AAAA-someone-elses-key admin\n";
  const JobOutcome outcome = worker->await_outcome(deadline, "algo-1", &worker_tls, keys.string());
  intruders.join();
  EXPECT_EQ(outcome.exit_code, 7);
  EXPECT_EQ(outcome.reason, "the real outcome");
  // The job's key, installed before the outcome, usable only from the
  // leader's address and for commands, and nothing the impostors sent.
  const auto text_of = [&] {
    std::ifstream installed(keys);
    return std::string((std::istreambuf_iterator<char>(installed)), {});
  };
  EXPECT_EQ(text_of(),
            "ssh-ed25519 AAAA-someone-elses-key admin\nfrom=\"127.0.0.1\",no-agent-forwarding,"
            "no-port-forwarding,no-X11-forwarding,no-user-rc " +
                job_key + "\n");
  EXPECT_EQ(std::filesystem::status(keys).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  // When the worker's channel ends (the job is over), the job's line goes.
  worker.reset();
  EXPECT_EQ(text_of(), "ssh-ed25519 AAAA-someone-elses-key admin\n");
}

// With the job's certificates: the impostor's names another host.
TEST(ControlChannel, WorkerHearsOnlyTheLeaderWithItsCertificate) {
  const auto context_for = [](const std::string& host) {
    return ringsim::testing::tls_context(ringsim::testing::host_certificate(host), "openssl");
  };
  expect_worker_hears_only_the_leader(*context_for("algo-2"), *context_for("algo-1"), *context_for("algo-9"));
}

// With a job secret: the impostor holds another.
TEST(ControlChannel, WorkerHearsOnlyTheLeaderWithTheJobSecret) {
  const auto context_for = [](const std::string& secret, const std::string& host) {
    return std::make_unique<TlsContext>(
        PresharedKey{derive_job_key(secret, "ringsim control channel"), "ringsim-control"}, host);
  };
  const std::string secret = "0123456789abcdef0123456789abcdef", guess = "0123456789abcdef0123456789abcdeF";
  expect_worker_hears_only_the_leader(*context_for(secret, "algo-2"), *context_for(secret, "algo-1"),
                                      *context_for(guess, "algo-9"));
}

// Handshakes are served side by side, each with its own limit: connections
// that stay silent (a scanner, a stranger) do not hold up the leader's. One
// at a time, five of them would delay it by five handshake limits (25 s).
TEST(ControlChannel, SilentConnectionsDoNotHoldUpTheLeader) {
  const PresharedKey key{derive_job_key("0123456789abcdef0123456789abcdef", "ringsim control channel"),
                         "ringsim-control"};
  TlsContext worker_tls(key, "algo-2"), leader_tls(key, "algo-1");
  Endpoint bound;
  { Socket probe = listen_on({"127.0.0.1", 0}, bound); }  // a free port
  WorkerChannel worker(Endpoint{"127.0.0.1", bound.port});
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::seconds(60);
  std::vector<Socket> silent;
  for (int i = 0; i < 5; ++i) silent.push_back(connect_to({"127.0.0.1", bound.port}, deadline));
  std::thread leader_side([&] {
    LeaderChannel leader;
    leader.connect({{"algo-2", {"127.0.0.1", bound.port}}}, deadline, &leader_tls);
    leader.announce({0, ""});
  });
  const JobOutcome outcome = worker.await_outcome(deadline, "algo-1", &worker_tls);
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  leader_side.join();
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_LT(took, std::chrono::duration<double>(ControlHandshakes::kHandshakeLimit).count())
      << "the leader waited behind the silent connections";
}

// With credentials too, a connection from another address than the
// leader's (once known) gets no handshake: even the right secret from there
// is not heard.
TEST(ControlChannel, OnlyTheLeadersAddressGetsAHandshake) {
  const PresharedKey key{derive_job_key("0123456789abcdef0123456789abcdef", "ringsim control channel"),
                         "ringsim-control"};
  TlsContext worker_tls(key, "algo-2"), leader_tls(key, "algo-1");
  Endpoint bound;
  { Socket probe = listen_on({"127.0.0.1", 0}, bound); }  // a free port
  WorkerChannel worker(Endpoint{"127.0.0.1", bound.port});
  worker.set_leader_address("127.0.0.2");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  std::thread elsewhere([&] {
    try {
      LeaderChannel from_127_0_0_1;
      from_127_0_0_1.connect({{"algo-2", {"127.0.0.1", bound.port}}}, deadline, &leader_tls);
      from_127_0_0_1.announce({0, "from the wrong address"});
    } catch (const Error&) {
    }
  });
  EXPECT_THAT([&] { worker.await_outcome(deadline, "algo-1", &worker_tls); },
              ThrowsMessage<TimeoutError>(HasSubstr("never connected")));
  elsewhere.join();
}

// With a certificate channel and SageMaker's checkpoint folder, the ranks'
// checkpoints are keyed from the leader's private key in that channel.
TEST_F(MlRoot, CheckpointsAreKeyedFromTheCertificateChannel) {
  write("resourceconfig.json", R"({"current_host":"algo-2","hosts":["algo-1","algo-2"]})");
  write("hyperparameters.json", R"({"transport":"tls","tls_channel":"certs"})");
  fs::create_directories(root_ / "checkpoints");
  const auto argv = launch_mpirun_argv({root_.string(), false, false}, load_sagemaker_config(root_.string(), {}));
  const auto it = std::find(argv.begin(), argv.end(), "--checkpoint-key-file");
  ASSERT_NE(it, argv.end());
  ASSERT_NE(it + 1, argv.end());
  EXPECT_EQ(*(it + 1), (root_ / "input/data/certs/algo-1.key").string());
  write("hyperparameters.json", R"({"transport":"tcp","insecure_unauthenticated_control":"true"})");
  const auto plain = launch_mpirun_argv({root_.string(), false, false}, load_sagemaker_config(root_.string(), {}));
  EXPECT_EQ(std::find(plain.begin(), plain.end(), "--checkpoint-key-file"), plain.end()) << "no secret to key from";
}

// An `ids` channel holds the row ids as one file: the ranks get --ids.
TEST_F(MlRoot, AnIdsChannelBecomesTheRowIds) {
  write("resourceconfig.json", R"({"current_host":"algo-1","hosts":["algo-1"]})");
  write("hyperparameters.json", "{}");
  write("inputdataconfig.json", R"({"train":{"S3DistributionType":"FullyReplicated"},
                                    "ids":{"S3DistributionType":"FullyReplicated"}})");
  fs::create_directories(root_ / "input/data/ids");
  std::ofstream(root_ / "input/data/ids/titles.txt") << "a\nb\n";
  const auto argv = [&] {
    return launch_mpirun_argv({root_.string(), false, false}, load_sagemaker_config(root_.string(), {}));
  };
  const auto words = argv();
  const auto it = std::find(words.begin(), words.end(), "--ids");
  ASSERT_NE(it, words.end());
  ASSERT_NE(it + 1, words.end());
  EXPECT_EQ(*(it + 1), (root_ / "input/data/ids/titles.txt").string());
  std::ofstream(root_ / "input/data/ids/more.txt") << "c\n";
  EXPECT_THAT(argv, ThrowsMessage<ConfigError>(HasSubstr("channel 'ids' must hold exactly one file")));
}

// With a job secret instead, each host's launcher derives the key and
// writes it to the same path on every host, outside what SageMaker uploads.
TEST_F(MlRoot, CheckpointsAreKeyedFromTheJobSecret) {
  write("resourceconfig.json", R"({"current_host":"algo-2","hosts":["algo-1","algo-2"]})");
  write("hyperparameters.json", R"({"job_secret":"0123456789abcdef0123456789abcdef"})");
  fs::create_directories(root_ / "checkpoints");
  const auto argv = launch_mpirun_argv({root_.string(), false, false}, load_sagemaker_config(root_.string(), {}));
  const auto it = std::find(argv.begin(), argv.end(), "--checkpoint-key-file");
  ASSERT_NE(it, argv.end());
  ASSERT_NE(it + 1, argv.end());
  EXPECT_EQ(*(it + 1), (root_ / "ringsim/checkpoint.key").string());
}

// The launchers' control channel must be authenticated on several hosts: a
// certificate channel or a job secret (from a hyperparameter or a channel's
// file), or the risk asked for by name. One host has no control channel.
TEST_F(MlRoot, SeveralHostsNeedAnAuthenticatedControlChannel) {
  const auto planning = [&](const std::string& hyperparameters) {
    write("hyperparameters.json", hyperparameters);
    return [&] { launch_mpirun_argv({root_.string(), false, false}, load_sagemaker_config(root_.string(), {})); };
  };
  write("resourceconfig.json", R"({"current_host":"algo-2","hosts":["algo-1","algo-2"]})");
  EXPECT_THAT(planning("{}"), ThrowsMessage<ConfigError>(AllOf(HasSubstr("needs an authenticated control channel"),
                                                               HasSubstr("job_secret"), HasSubstr("tls_channel"),
                                                               HasSubstr("insecure_unauthenticated_control=true"))));
  EXPECT_NO_THROW(planning(R"({"insecure_unauthenticated_control":"true"})")());
  EXPECT_NO_THROW(planning(R"({"job_secret":"0123456789abcdef0123456789abcdef"})")());
  EXPECT_THAT(planning(R"({"job_secret":"too-short"})"),
              ThrowsMessage<ConfigError>(HasSubstr("'job_secret' has 9 characters; it needs at least 32")));
  // From a channel's file (not visible in the job's description), read when
  // the control channel opens.
  EXPECT_NO_THROW(planning(R"({"job_secret_channel":"secret"})")());
  const auto secret_of = [&](const std::string& hyperparameters) {
    write("hyperparameters.json", hyperparameters);
    return read_job_secret(parse_launch_settings(load_sagemaker_config(root_.string(), {}).hyperparameters),
                           root_.string());
  };
  EXPECT_THAT([&] { secret_of(R"({"job_secret_channel":"secret"})"); },
              ThrowsMessage<ConfigError>(AllOf(HasSubstr("input/data/secret/job_secret"),
                                               HasSubstr("job_secret_channel=secret"), HasSubstr("cannot be read"))));
  fs::create_directories(root_ / "input/data/secret");
  std::ofstream(root_ / "input/data/secret/job_secret") << "0123456789abcdef0123456789abcdef\n";
  EXPECT_EQ(secret_of(R"({"job_secret_channel":"secret"})"), "0123456789abcdef0123456789abcdef");
  std::ofstream(root_ / "input/data/secret/job_secret") << "short\n";
  EXPECT_THAT([&] { secret_of(R"({"job_secret_channel":"secret"})"); },
              ThrowsMessage<ConfigError>(HasSubstr("holds 5 characters; a job secret needs at least 32")));
  EXPECT_EQ(secret_of(R"({"job_secret":"0123456789abcdef0123456789abcdeX"})"), "0123456789abcdef0123456789abcdeX");
  EXPECT_EQ(secret_of("{}"), "");
  EXPECT_THAT(planning(R"({"job_secret_channel":"secret","job_secret":"0123456789abcdef0123456789abcdef"})"),
              ThrowsMessage<ConfigError>(HasSubstr("give one")));
  write("resourceconfig.json", R"({"current_host":"algo-1","hosts":["algo-1"]})");
  EXPECT_NO_THROW(planning("{}")()) << "one host has no control channel to secure";
}

// SageMaker's inter-container encryption covers traffic between instances:
// transport=tls does the same unless the job asks for every edge.
TEST_F(MlRoot, TlsEncryptsBetweenHostsUnlessTheJobSaysAll) {
  write("resourceconfig.json", R"({"current_host":"algo-1","hosts":["algo-1","algo-2"]})");
  const auto value_of = [&](const std::string& option) {
    const auto argv = launch_mpirun_argv({root_.string(), false, false}, load_sagemaker_config(root_.string(), {}));
    const auto it = std::find(argv.begin(), argv.end(), option);
    return it == argv.end() || it + 1 == argv.end() ? std::string("(absent)") : *(it + 1);
  };
  write("hyperparameters.json", R"({"transport":"tls","tls_channel":"certs"})");
  EXPECT_EQ(value_of("--encrypt"), "inter-host");
  write("hyperparameters.json", R"({"transport":"tls","tls_channel":"certs","encrypt":"all"})");
  EXPECT_EQ(value_of("--encrypt"), "all");
  write("hyperparameters.json", R"({"transport":"tcp","insecure_unauthenticated_control":"true"})");
  EXPECT_EQ(value_of("--encrypt"), "(absent)");
}

// Without a certificate channel a worker hears only the leader's address: a
// stranger elsewhere that sends a key and "RSIMEXIT 0" first is refused,
// installs nothing, and the real outcome still arrives. (Here every party
// is on loopback, so the stranger is told apart by the leader address the
// worker expects: 127.0.0.2.)
TEST(ControlChannel, WithoutCertificatesOnlyTheLeadersAddressIsHeard) {
  Endpoint bound;
  { Socket probe = listen_on({"0.0.0.0", 0}, bound); }
  WorkerChannel worker({"0.0.0.0", bound.port});
  worker.set_leader_address("127.0.0.2");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  const ScratchDir scratch("keys");
  const auto keys = scratch.path() / "authorized_keys";
  std::thread parties([&] {
    {
      Socket stranger = connect_to({"127.0.0.1", bound.port}, deadline);
      const std::string lines =
          "RSIMKEY ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl evil\n"
          "RSIMEXIT 0 all fine\n";
      write_exact(stranger.fd(), {reinterpret_cast<const std::byte*>(lines.data()), lines.size()}, deadline, "x");
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    // The leader, from its own address.
    Socket leader(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in from{};
    from.sin_family = AF_INET;
    ::inet_pton(AF_INET, "127.0.0.2", &from.sin_addr);
    ASSERT_EQ(::bind(leader.fd(), reinterpret_cast<sockaddr*>(&from), sizeof from), 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<std::uint16_t>(bound.port));
    ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    ASSERT_EQ(::connect(leader.fd(), reinterpret_cast<sockaddr*>(&to), sizeof to), 0);
    const std::string outcome = "RSIMEXIT 9 the real outcome\n";
    write_exact(leader.fd(), {reinterpret_cast<const std::byte*>(outcome.data()), outcome.size()}, deadline, "x");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  });
  const JobOutcome outcome = worker.await_outcome(deadline, "algo-1", nullptr, keys.string());
  parties.join();
  EXPECT_EQ(outcome.exit_code, 9);
  EXPECT_EQ(outcome.reason, "the real outcome");
  EXPECT_FALSE(std::filesystem::exists(keys)) << "the stranger's key was installed";
}
