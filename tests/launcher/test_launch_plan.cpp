// From SageMaker's config to the mpirun command line the leader runs
// (launcher/launch: launch_mpirun_argv).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "common/errors.hpp"
#include "common/hex.hpp"
#include "launcher/launch.hpp"
#include "launcher/launch_plan.hpp"
#include "launcher/launch_settings.hpp"
#include "launcher/sagemaker_config.hpp"
#include "net/certificates.hpp"
#include "net/preshared_key.hpp"
#include "net/tls_context.hpp"
#include "tests/launcher/ml_root.hpp"

using namespace ringsim;
using ringsim::testing::MlRoot;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::ThrowsMessage;

namespace fs = std::filesystem;

// SM_NUM_CPUS decides only where sysfs cannot be read (host_cores.hpp).
const std::pair<const std::string, std::string> kNoSysfs{"RINGSIM_SYSFS_ROOT", "/nonexistent"};

TEST_F(MlRoot, GpuInstanceRunsOneRankPerGpu) {
  write("resourceconfig.json", R"({"current_host":"algo-1","hosts":["algo-1","algo-2"]})");
  const auto np = [&](std::string hyperparameters, std::map<std::string, std::string> environment) {
    hyperparameters.insert(1, R"("job_secret":"0123456789abcdef0123456789abcdef",)");
    write("hyperparameters.json", hyperparameters);
    const auto config = load_sagemaker_config(root_.string(), environment);
    return value_after(launch_mpirun_argv({root_.string(), false, false}, config), "-np");
  };
  const auto config = load_sagemaker_config(root_.string(), {{"SM_NUM_CPUS", "16"}, {"SM_NUM_GPUS", "4"}, kNoSysfs});
  EXPECT_EQ(config.gpus, 4);
  // Device cpu on the GPU instance: a rank per CPU, as before.
  EXPECT_EQ(np(R"({"k":"5"})", {{"SM_NUM_CPUS", "16"}, {"SM_NUM_GPUS", "4"}, kNoSysfs}), "32");
#ifdef RINGSIM_WITH_CUDA
  EXPECT_EQ(np(R"({"device":"cuda"})", {{"SM_NUM_CPUS", "16"}, {"SM_NUM_GPUS", "4"}, kNoSysfs}), "8");
  EXPECT_EQ(
      np(R"({"device":"cuda","processes_per_host":"2"})", {{"SM_NUM_CPUS", "16"}, {"SM_NUM_GPUS", "4"}, kNoSysfs}),
      "4");
#endif
  EXPECT_THAT(
      [&] {
        load_sagemaker_config(root_.string(), {{"SM_NUM_GPUS", "four"}});
      },
      ThrowsMessage<ConfigError>(HasSubstr("SM_NUM_GPUS must be a whole number")));
}

TEST_F(MlRoot, HyperparametersReachTheRankCommandAsGiven) {
  write("resourceconfig.json", R"({"current_host":"algo-1","hosts":["algo-1","algo-2"]})");
  // As the Python SDK writes them: every value JSON-encoded a second time.
  write("hyperparameters.json",
        R"({"threshold":"0.99999995","k":"\"12\"","timeout":"2.50","mode":"\"threshold\"",
            "sagemaker_mpi_custom_mpi_options":"\"-mca btl_tcp_if_include eth7\"","tile":"4096",
            "id_matrix":"true","tls_pipelining":"\"off\"",
            "job_secret":"\"0123456789abcdef0123456789abcdef\""})");
  const auto config = load_sagemaker_config(root_.string(), {{"SM_NUM_CPUS", "2"}, kNoSysfs});
  const auto argv = launch_mpirun_argv({root_.string(), false, false}, config);
  const auto value_of = [&](const std::string& option) { return value_after(argv, option); };
  EXPECT_EQ(value_of("--threshold"), "0.99999995");
  EXPECT_EQ(value_of("--timeout"), "2.50");
  EXPECT_EQ(value_of("--k"), "12");
  EXPECT_EQ(value_of("--tile"), "4096");
  // Switches take their value joined: `ringsim run` refuses "--id-matrix true".
  EXPECT_THAT(argv, Contains("--id-matrix=true"));
  EXPECT_EQ(value_of("--tls-pipelining"), "off");
  EXPECT_THAT(argv, Not(Contains("--id-matrix")));
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
  const auto value_of = [&](const std::string& option) { return value_after(argv, option); };
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

// With a certificate channel and SageMaker's checkpoint folder, the ranks'
// checkpoints are keyed from the leader's private key in that channel.
TEST_F(MlRoot, CheckpointsAreKeyedFromTheCertificateChannel) {
  write("resourceconfig.json", R"({"current_host":"algo-2","hosts":["algo-1","algo-2"]})");
  write("hyperparameters.json", R"({"transport":"tls","tls_channel":"certs"})");
  fs::create_directories(root_ / "checkpoints");
  const auto argv = launch_mpirun_argv({root_.string(), false, false}, load_sagemaker_config(root_.string(), {}));
  EXPECT_EQ(value_after(argv, "--checkpoint-key-file"), (root_ / "input/data/certs/algo-1.key").string());
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
  EXPECT_EQ(value_after(argv(), "--ids"), (root_ / "input/data/ids/titles.txt").string());
  std::ofstream(root_ / "input/data/ids/more.txt") << "c\n";
  EXPECT_THAT(argv, ThrowsMessage<ConfigError>(HasSubstr("channel 'ids' must hold exactly one file")));
}

// A `queries` channel makes a queries job: its folder is --queries, and a
// `query_ids` channel's one file --query-ids.
TEST_F(MlRoot, AQueriesChannelMakesAQueriesJob) {
  write("resourceconfig.json", R"({"current_host":"algo-1","hosts":["algo-1"]})");
  write("hyperparameters.json", "{}");
  write("inputdataconfig.json", R"({"train":{"S3DistributionType":"FullyReplicated"},
                                    "queries":{"S3DistributionType":"FullyReplicated"},
                                    "query_ids":{"S3DistributionType":"FullyReplicated"}})");
  fs::create_directories(root_ / "input/data/queries");
  fs::create_directories(root_ / "input/data/query_ids");
  std::ofstream(root_ / "input/data/query_ids/names.txt") << "q0\n";
  const auto argv = launch_mpirun_argv({root_.string(), false, false}, load_sagemaker_config(root_.string(), {}));
  EXPECT_EQ(value_after(argv, "--queries"), (root_ / "input/data/queries").string());
  EXPECT_EQ(value_after(argv, "--query-ids"), (root_ / "input/data/query_ids/names.txt").string());
  write("inputdataconfig.json", R"({"train":{"S3DistributionType":"FullyReplicated"}})");
  const auto plain = launch_mpirun_argv({root_.string(), false, false}, load_sagemaker_config(root_.string(), {}));
  EXPECT_EQ(std::find(plain.begin(), plain.end(), "--queries"), plain.end()) << "no queries channel";
}

// With a job secret instead, each host's launcher derives the key and
// writes it to the same path on every host, outside what SageMaker uploads.
TEST_F(MlRoot, CheckpointsAreKeyedFromTheJobSecret) {
  write("resourceconfig.json", R"({"current_host":"algo-2","hosts":["algo-1","algo-2"]})");
  write("hyperparameters.json", R"({"job_secret":"0123456789abcdef0123456789abcdef"})");
  fs::create_directories(root_ / "checkpoints");
  const auto argv = launch_mpirun_argv({root_.string(), false, false}, load_sagemaker_config(root_.string(), {}));
  EXPECT_EQ(value_after(argv, "--checkpoint-key-file"), (root_ / "ringsim/checkpoint.key").string());
}

// Both keys come from one read of the secret: the control channel's
// context, and the checkpoint key (HKDF with its own purpose) that the
// launcher writes in hex, 0600, only when the job has a checkpoints folder.
TEST_F(MlRoot, OneReadOfTheJobSecretGivesBothKeys) {
  const std::string secret = "0123456789abcdef0123456789abcdef";
  write("resourceconfig.json", R"({"current_host":"algo-2","hosts":["algo-1","algo-2"]})");
  write("hyperparameters.json", R"({"job_secret":")" + secret + R"("})");
  const LaunchOptions options{root_.string(), false, false};
  const auto credentials = [&] {
    return launch_credentials(make_plan(options, load_sagemaker_config(root_.string(), {}), root_.string()), options);
  };
  EXPECT_NE(credentials().control, nullptr);
  EXPECT_TRUE(credentials().checkpoint_key.empty()) << "no checkpoints folder";
  EXPECT_EQ(write_checkpoint_key({}, options), "");
  fs::create_directories(root_ / "checkpoints");
  const auto keyed = credentials();
  EXPECT_NE(keyed.control, nullptr);
  EXPECT_EQ(keyed.checkpoint_key, derive_job_key(secret, "ringsim checkpoints"));
  EXPECT_NE(keyed.checkpoint_key, derive_job_key(secret, "ringsim control channel"));
  const std::string path = write_checkpoint_key(keyed.checkpoint_key, options);
  EXPECT_EQ(path, (root_ / "ringsim/checkpoint.key").string());
  std::string text;
  std::ifstream(path) >> text;
  EXPECT_EQ(text, to_hex(keyed.checkpoint_key));
  EXPECT_EQ(fs::status(path).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
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
  // The refusal names only ways that keep the secret out of the job's
  // description: a channel file, or the certificate channel.
  EXPECT_THAT(planning("{}"),
              ThrowsMessage<ConfigError>(AllOf(
                  HasSubstr("needs an authenticated control channel"), HasSubstr("file named job_secret"),
                  HasSubstr("job_secret_channel=secret"), HasSubstr("tls_channel"),
                  Not(HasSubstr("hyperparameter job_secret ")), HasSubstr("insecure_unauthenticated_control=true"))));
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
              ThrowsMessage<ConfigError>(HasSubstr("drop job_secret")));
  write("resourceconfig.json", R"({"current_host":"algo-1","hosts":["algo-1"]})");
  EXPECT_NO_THROW(planning("{}")()) << "one host has no control channel to secure";
}

// SageMaker's inter-container encryption covers traffic between instances:
// transport=tls does the same unless the job asks for every edge.
TEST_F(MlRoot, TlsEncryptsBetweenHostsUnlessTheJobSaysAll) {
  write("resourceconfig.json", R"({"current_host":"algo-1","hosts":["algo-1","algo-2"]})");
  const auto value_of = [&](const std::string& option) {
    return value_after(launch_mpirun_argv({root_.string(), false, false}, load_sagemaker_config(root_.string(), {})),
                       option);
  };
  write("hyperparameters.json", R"({"transport":"tls","tls_channel":"certs"})");
  EXPECT_EQ(value_of("--encrypt"), "inter-host");
  write("hyperparameters.json", R"({"transport":"tls","tls_channel":"certs","encrypt":"all"})");
  EXPECT_EQ(value_of("--encrypt"), "all");
  write("hyperparameters.json", R"({"transport":"tcp","insecure_unauthenticated_control":"true"})");
  EXPECT_EQ(value_of("--encrypt"), "(absent)");
}

// Pipe mode gives a channel as a FIFO, not files: refused at launch naming
// the channel and the modes that work, instead of "input file not found" in
// the ranks. File and FastFile (files, streamed on read) both run.
TEST_F(MlRoot, PipeModeIsRefusedNamingTheChannel) {
  write("resourceconfig.json", R"({"current_host":"algo-1","hosts":["algo-1"]})");
  write("hyperparameters.json", R"({"k":"5"})");
  const auto planning = [&](const std::string& channels) {
    write("inputdataconfig.json", channels);
    return [&] { launch_mpirun_argv({root_.string(), false, false}, load_sagemaker_config(root_.string(), {})); };
  };
  EXPECT_THAT(planning(R"({"train":{"TrainingInputMode":"Pipe","S3DistributionType":"FullyReplicated"}})"),
              ThrowsMessage<ConfigError>(
                  AllOf(HasSubstr("channel 'train' has TrainingInputMode Pipe"), HasSubstr("'File' or 'FastFile'"))));
  EXPECT_NO_THROW(planning(R"({"train":{"TrainingInputMode":"File"}})")());
  EXPECT_NO_THROW(planning(R"({"train":{"TrainingInputMode":"FastFile"}})")());
  // Every channel the job reads, not only the input.
  EXPECT_THAT(planning(R"({"train":{"TrainingInputMode":"FastFile"},"ids":{"TrainingInputMode":"Pipe"}})"),
              ThrowsMessage<ConfigError>(HasSubstr("channel 'ids' has TrainingInputMode Pipe")));
  // A channel the job does not read may stream as it likes.
  EXPECT_NO_THROW(planning(R"({"train":{"TrainingInputMode":"File"},"other":{"TrainingInputMode":"Pipe"}})")());
}

// The certificates must name algo-1 ... algo-N: the dry run checks the
// channel against the hosts before any rank starts and names what is
// missing or wrong, with the `ringsim certs` line that makes it right.
TEST_F(MlRoot, DryRunChecksTheCertificatesAgainstTheHosts) {
  write("resourceconfig.json", R"({"current_host":"algo-1","hosts":["algo-3","algo-1","algo-2"]})");
  write("hyperparameters.json", R"({"transport":"tls","tls_channel":"certs"})");
  write("inputdataconfig.json", R"({"train":{},"certs":{}})");
  const std::string certs = (root_ / "input/data/certs").string();
  const LaunchOptions options{root_.string(), true, false};
  const auto checks = [&] {
    return dry_run_checks(make_plan(options, load_sagemaker_config(root_.string(), {}), scratch_.file("s")), options);
  };
  write_job_certificates(certs, {"algo-1", "algo-2"}, 1, "");
  EXPECT_THAT(checks, ThrowsMessage<ConfigError>(AllOf(HasSubstr("does not fit the job's hosts"),
                                                       HasSubstr("algo-3: no algo-3.pem, no algo-3.key"),
                                                       HasSubstr("ringsim certs --out certs --hosts algo-1..3"))));
  write_job_certificates(certs, {"algo-1", "algo-2", "algo-3"}, 1, "");
  EXPECT_THAT(checks(), HasSubstr("a valid certificate and key for each of algo-1, algo-2, algo-3"));
  // Another host's certificate under algo-2's name; a key that is not its certificate's.
  fs::copy_file(certs + "/algo-3.pem", certs + "/algo-2.pem", fs::copy_options::overwrite_existing);
  fs::copy_file(certs + "/algo-1.key", certs + "/algo-3.key", fs::copy_options::overwrite_existing);
  EXPECT_THAT(checks, ThrowsMessage<ConfigError>(AllOf(HasSubstr("algo-2: algo-2.pem does not name algo-2"),
                                                       HasSubstr("algo-3: algo-3.key is not the key of algo-3.pem"))));
  // Another job's CA.
  write_job_certificates(certs + "-other", {"algo-1"}, 1, "");
  write_job_certificates(certs, {"algo-1", "algo-2", "algo-3"}, 1, "");
  fs::copy_file(certs + "-other/ca.pem", certs + "/ca.pem", fs::copy_options::overwrite_existing);
  EXPECT_THAT(checks,
              ThrowsMessage<ConfigError>(HasSubstr("algo-1: algo-1.pem is not signed by the channel's ca.pem")));
}
