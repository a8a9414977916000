// Hyperparameters: mapping SageMaker's values to the
// launcher's settings and the job's arguments (launcher/launch_settings).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/errors.hpp"
#include "launcher/launch_settings.hpp"

using namespace ringsim;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

// ringsim run flags and the text passed with them.
using Arguments = std::vector<std::pair<std::string, std::string>>;

namespace {

// Parsing `hyperparameters`, as a callable for the exception matchers.
auto parsing(std::map<std::string, std::string> hyperparameters) {
  return [hyperparameters] { parse_launch_settings(hyperparameters); };
}

}  // namespace

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

// AWS: "Do not include any security-sensitive information ... in
// hyperparameters" (they show in the console, DescribeTrainingJob and
// CloudTrail). The hyperparameter still works, with a warning that says why
// and what to use; the channel way says nothing.
TEST(Hyperparameters, JobSecretHyperparameterWarnsAndNamesTheChannelWay) {
  ::testing::internal::CaptureStderr();
  const auto s = parse_launch_settings({{"job_secret", "0123456789abcdef0123456789abcdef"}});
  const std::string warned = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(s.job_secret, "0123456789abcdef0123456789abcdef");
  EXPECT_THAT(warned,
              AllOf(HasSubstr("warning"), HasSubstr("job_secret is deprecated"), HasSubstr("DescribeTrainingJob"),
                    HasSubstr("CloudTrail"), HasSubstr("job_secret_channel="), HasSubstr("tls_channel")));
  ::testing::internal::CaptureStderr();
  const auto quiet = parse_launch_settings({{"job_secret_channel", "secret"}});
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  EXPECT_EQ(quiet.job_secret_channel, "secret");
  // Too short: refused, pointing at the channel.
  EXPECT_THAT(parsing({{"job_secret", "short"}}),
              ThrowsMessage<ConfigError>(AllOf(HasSubstr("needs at least 32"), HasSubstr("job_secret_channel="))));
}
