// The job's options (common/job_config.hpp): one table parsed the same way
// from the command line and from hyperparameters, its ranges, URL and
// --bind checks, and the HOST[:PORT] split. Pure functions, no MPI.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>

#include "common/errors.hpp"
#include "common/job_config.hpp"
#include "common/socket.hpp"

using namespace ringsim;
using testing::HasSubstr;
using testing::StartsWith;
using testing::Throws;
using testing::ThrowsMessage;

namespace {

JobConfig valid_config() {
  JobConfig config;
  config.input = "x.npy";
  config.out = "out";
  return config;
}

// check_job_config on a valid config changed by `change`.
auto checking(void (*change)(JobConfig&)) {
  return [change] {
    JobConfig config = valid_config();
    change(config);
    check_job_config(config);
  };
}

}  // namespace

TEST(JobConfig, DefaultsAndEdgesPass) {
  EXPECT_NO_THROW(check_job_config(valid_config()));
  JobConfig config = valid_config();
  config.k = kMaxK;
  config.tile = kMaxTile;
  config.timeout = kMaxTimeoutSeconds;
  EXPECT_NO_THROW(check_job_config(config));
  config.tile = 1;
  config.timeout = kMinTimeoutSeconds;
  config.k = 1;
  config.progress_seconds = 0;
  EXPECT_NO_THROW(check_job_config(config));
}

TEST(JobConfig, RequiredPathsOnTheCommandLineOnly) {
  EXPECT_THAT([] { check_job_config(JobConfig{}); }, ThrowsMessage<InputError>(HasSubstr("--input is required")));
  // The launcher fills in the paths itself.
  EXPECT_NO_THROW(check_job_config(JobConfig{}, OptionNaming::hyperparameters));
}

TEST(JobConfig, TimeoutOutsideItsRangeIsRefused) {
  for (double bad : {std::nan(""), std::numeric_limits<double>::infinity(), 1e300, 0.0, -5.0, 1e-9}) {
    JobConfig config = valid_config();
    config.timeout = bad;
    EXPECT_THAT([&] { check_job_config(config); }, ThrowsMessage<InputError>(HasSubstr("--timeout must be"))) << bad;
  }
  EXPECT_THAT(checking([](JobConfig& c) { c.timeout = 1e300; }),
              ThrowsMessage<InputError>(HasSubstr("--timeout must be between 0.001 and 1000000 seconds, got 1e+300")));
}

TEST(JobConfig, KAndTileAreBounded) {
  EXPECT_THAT(checking([](JobConfig& c) { c.k = 2147483647; }),
              ThrowsMessage<InputError>(HasSubstr("--k must be between 1 and 1048576, got 2147483647")));
  EXPECT_THAT(checking([](JobConfig& c) { c.k = 0; }), ThrowsMessage<InputError>(HasSubstr("--k must be between 1")));
  EXPECT_THAT(checking([](JobConfig& c) { c.tile = 0; }),
              ThrowsMessage<InputError>(HasSubstr("--tile must be between 1 and 16384, got 0")));
  EXPECT_THAT(checking([](JobConfig& c) { c.tile = 1 << 20; }),
              ThrowsMessage<InputError>(HasSubstr("--tile must be between")));
  EXPECT_THAT(checking([](JobConfig& c) { c.max_output_bytes = 0; }),
              ThrowsMessage<InputError>(HasSubstr("--max-output-bytes must be >= 1, got 0")));
  EXPECT_THAT(checking([](JobConfig& c) { c.threshold = std::nan(""); }),
              ThrowsMessage<InputError>(HasSubstr("--threshold must be a finite number")));
}

// A build without CUDA does not offer --device cuda at all (not in --help,
// not in docs/options.md, refused as an unknown value); one with it takes it
// and refuses only --balance measured beside it.
TEST(JobConfig, CudaIsOfferedOnlyByABuildWithIt) {
  Device parsed{};
#ifdef RINGSIM_WITH_CUDA
  parse_option("cuda", parsed, "--device");
  EXPECT_EQ(parsed, Device::cuda);
  EXPECT_EQ(choice_names(Device{}).size(), 2u);
  EXPECT_THAT(checking([](JobConfig& c) {
                c.device = Device::cuda;
                c.balance = Balance::measured;
              }),
              ThrowsMessage<InputError>(HasSubstr("--device cuda shares rows evenly")));
#else
  EXPECT_THAT([&] { parse_option("cuda", parsed, "--device"); },
              ThrowsMessage<InputError>(HasSubstr("--device must be one of cpu, got 'cuda'")));
  EXPECT_EQ(choice_names(Device{}).size(), 1u);
#endif
}

// --precision tf32 is a GPU GEMM, for the jobs the exact rule decides;
// bfloat16 is offered to both devices.
TEST(JobConfig, Tf32IsForCudaCosineTopkAndThreshold) {
  EXPECT_THAT(checking([](JobConfig& c) { c.precision = Precision::tf32; }),
              ThrowsMessage<InputError>(HasSubstr("--precision tf32 runs on a GPU (--device cuda)")));
  EXPECT_THAT(checking([](JobConfig& c) {
                c.precision = Precision::tf32;
                c.device = Device::cuda;
                c.score = Score::dot;
              }),
              ThrowsMessage<InputError>(HasSubstr("--precision tf32 needs --score cosine")));
  EXPECT_NO_THROW(checking([](JobConfig& c) {
    c.precision = Precision::tf32;
    c.device = Device::cuda;
  })());
  EXPECT_NO_THROW(checking([](JobConfig& c) {
    c.precision = Precision::bfloat16;
    c.device = Device::cuda;
  })());
  Precision parsed{};
  parse_option("tf32", parsed, "--precision");
  EXPECT_EQ(parsed, Precision::tf32);
}

TEST(JobConfig, UrlsAreRefusedForInputAndOut) {
  EXPECT_TRUE(looks_like_url("s3://bucket/x"));
  EXPECT_TRUE(looks_like_url("https://example.com/x.npy"));
  EXPECT_TRUE(looks_like_url("gs+v2.x-y://b"));
  EXPECT_FALSE(looks_like_url("/data/x.npy"));
  EXPECT_FALSE(looks_like_url("dir/a://b"));  // a folder named "a:" inside "dir"
  EXPECT_FALSE(looks_like_url("://x"));
  EXPECT_FALSE(looks_like_url("1s3://x"));
  EXPECT_THAT(checking([](JobConfig& c) { c.out = "s3://bucket/x"; }),
              ThrowsMessage<InputError>(
                  HasSubstr("--out 's3://bucket/x' is a URL; ringsim reads and writes local paths only (on SageMaker "
                            "write to the model folder")));
  EXPECT_THAT(checking([](JobConfig& c) { c.input = "https://host/x.npy"; }),
              ThrowsMessage<InputError>(
                  HasSubstr("--input 'https://host/x.npy' is a URL; ringsim reads and writes local paths only (on "
                            "SageMaker give the data as an input channel")));
}

TEST(JobConfig, BindAndAdvertiseAreChecked) {
  EXPECT_THAT(checking([](JobConfig& c) { c.bind = "127.0.0.1:abc"; }),
              ThrowsMessage<InputError>(HasSubstr("--bind '127.0.0.1:abc': bad port 'abc' (expected 0..65535)")));
  EXPECT_THAT(checking([](JobConfig& c) { c.bind = "127.0.0.1:70000"; }),
              ThrowsMessage<InputError>(HasSubstr("bad port '70000'")));
  EXPECT_THAT(checking([](JobConfig& c) { c.advertise = "10.0.0.1"; }),
              ThrowsMessage<InputError>(HasSubstr("expected ADDR:PORT")));
  JobConfig config = valid_config();
  config.bind = "eth0";
  config.advertise = "203.0.113.7:7000";
  EXPECT_NO_THROW(check_job_config(config));
}

TEST(JobConfig, TextParsesWholeOrNotAtAll) {
  int k = 0;
  parse_option("+12", k, "--k");
  EXPECT_EQ(k, 12);
  for (const char* bad : {"", "1.5", "10 ", " 10", "ten", "0x10"})
    EXPECT_THAT([&] { parse_option(bad, k, "--k"); }, ThrowsMessage<InputError>(HasSubstr("--k must be an integer")))
        << bad;
  // Out of int's range is refused, never wrapped (4294967306 mod 2^32 = 10).
  EXPECT_THAT([&] { parse_option("4294967306", k, "--k"); },
              ThrowsMessage<InputError>(HasSubstr("--k is out of range, got '4294967306'")));
  EXPECT_EQ(k, 12);
  double threshold = 0;
  parse_option("0.99999995", threshold, "--threshold");
  EXPECT_EQ(threshold, 0.99999995);
  for (const char* bad : {"nan", "inf", " 0.5", "0.5x", "", "1e999"})
    EXPECT_THAT([&] { parse_option(bad, threshold, "--threshold"); },
                ThrowsMessage<InputError>(HasSubstr("--threshold must be a finite number")))
        << bad;
  Mode mode = Mode::topk;
  parse_option("full", mode, "--mode");
  EXPECT_EQ(mode, Mode::full);
  EXPECT_THAT([&] { parse_option("Full", mode, "--mode"); },
              ThrowsMessage<InputError>(HasSubstr("--mode must be one of topk, threshold, full, got 'Full'")));
  std::vector<std::string> hosts;
  parse_option("algo-1,algo-2,,algo-3", hosts, "--hosts");
  EXPECT_EQ(hosts, (std::vector<std::string>{"algo-1", "algo-2", "algo-3"}));
  bool flag = false;
  parse_option("True", flag, "--quiet");
  EXPECT_TRUE(flag);
  EXPECT_THAT([&] { parse_option("yes", flag, "--quiet"); }, Throws<InputError>());
}

// Every enum value has a name, and each name parses back to its value.
TEST(JobConfig, ChoiceNamesRoundTrip) {
  const auto round_trip = [](auto last) {
    using Enum = decltype(last);
    for (int i = 0; i <= static_cast<int>(last); ++i) {
      Enum parsed{};
      parse_option(to_string(static_cast<Enum>(i)), parsed, "--x");
      EXPECT_EQ(static_cast<int>(parsed), i);
    }
    EXPECT_EQ(choice_names(Enum{}).size(), static_cast<std::size_t>(last) + 1);
  };
  round_trip(Mode::full);
  round_trip(TransportKind::tls);
  round_trip(Dtype::float64);
#ifdef RINGSIM_WITH_CUDA
  round_trip(Device::cuda);
#else
  round_trip(Device::cpu);
#endif
  round_trip(TlsCrypto::openssl);
  round_trip(Balance::measured);
  EXPECT_EQ(to_string(TlsCrypto::automatic), "auto");
}

// The table's names are unique; its flags are its names; every option a
// SageMaker user may set is also a flag of `ringsim run`.
TEST(JobConfig, TableNamesAreUniqueAndMapToFlags) {
  std::set<std::string> names;
  JobConfig config;
  visit_job_options(config, [&](const OptionInfo& info, auto&) {
    EXPECT_TRUE(names.insert(std::string(info.name)).second) << info.name;
    if (!info.alias.empty()) {
      EXPECT_TRUE(names.insert(std::string(info.alias)).second) << info.alias;
    }
    EXPECT_FALSE(info.help.empty()) << info.name;
  });
  EXPECT_EQ(flag_of(OptionInfo{.name = "max_output_bytes", .help = ""}), "--max-output-bytes");
  for (const auto& name : hyperparameter_names()) EXPECT_TRUE(names.count(name)) << name;
}

// A hyperparameter goes through the same parser and range as the flag, and
// errors name the key as the user wrote it.
TEST(JobConfig, HyperparametersShareTheTable) {
  JobConfig config;
  EXPECT_EQ(set_hyperparameter(config, "k", "12"), "--k");
  EXPECT_EQ(config.k, 12);
  EXPECT_EQ(set_hyperparameter(config, "transport", "tls"), "--transport");
  EXPECT_EQ(config.transport, TransportKind::tls);
  EXPECT_EQ(set_hyperparameter(config, "max_full_bytes", "100"), "--max-output-bytes");
  EXPECT_EQ(config.max_output_bytes, 100);
  EXPECT_EQ(set_hyperparameter(config, "input", "/elsewhere"), "");  // the launcher's, not the user's
  EXPECT_EQ(config.input, "");
  EXPECT_EQ(set_hyperparameter(config, "nonsense", "1"), "");
  EXPECT_THAT([&] { set_hyperparameter(config, "k", "five"); },
              ThrowsMessage<InputError>(HasSubstr("hyperparameter 'k' must be an integer, got 'five'")));
  EXPECT_THAT([&] { set_hyperparameter(config, "max_full_bytes", "x"); },
              ThrowsMessage<InputError>(HasSubstr("hyperparameter 'max_full_bytes' must be an integer")));
  config.k = 0;
  EXPECT_THAT([&] { check_job_config(config, OptionNaming::hyperparameters); },
              ThrowsMessage<InputError>(HasSubstr("hyperparameter 'k' must be between 1 and 1048576, got 0")));
}

// docs/options.md is the table's own Markdown (a CTest entry compares the
// file with `ringsim options`); here: every option appears, with its default.
TEST(JobConfig, MarkdownListsEveryOptionWithItsDefault) {
  const std::string markdown = job_options_markdown();
  JobConfig config;
  visit_job_options(config, [&](const OptionInfo& info, const auto& field) {
    EXPECT_THAT(markdown, HasSubstr("`" + flag_of(info) + "`"));
    if (!option_text(field).empty() && !std::is_same_v<std::decay_t<decltype(field)>, bool>) {
      EXPECT_THAT(markdown, HasSubstr("`" + option_text(field) + "`")) << info.name;
    }
  });
  EXPECT_THAT(markdown, HasSubstr("| `--k` | `k` | `10` | integer from 1 to 1048576 |"));
}

// One list of per-host paths: every path option a host may hold in a place
// of its own, --queries, --query-ids and the TLS files included. Each one
// listed expands, each says so in its help (docs/options.md), and no other
// option changes.
TEST(JobConfig, EveryPerHostPathExpandsAndSaysSo) {
  JobConfig config;
  std::set<std::string> per_host;
  visit_job_options(config, [&](const OptionInfo& info, auto& field) {
    if constexpr (std::is_same_v<std::decay_t<decltype(field)>, std::string>) field = "/data/{host}/x";
    if (info.host_path) per_host.insert(std::string(info.name));
    EXPECT_EQ(info.host_path, help_text(info).find("{host} is replaced") != std::string::npos) << info.name;
  });
  EXPECT_EQ(per_host, (std::set<std::string>{"input", "out", "ids", "queries", "query_ids", "tls_ca", "tls_cert",
                                             "tls_key", "failure_file", "checkpoint_dir", "checkpoint_key_file"}));
  expand_host_paths(config, "algo-2");
  visit_job_options(config, [&](const OptionInfo& info, const auto& field) {
    if constexpr (std::is_same_v<std::decay_t<decltype(field)>, std::string>)
      EXPECT_EQ(field, info.host_path ? "/data/algo-2/x" : "/data/{host}/x") << info.name;
    else
      EXPECT_FALSE(info.host_path) << info.name << ": only text holds a path";
  });
  EXPECT_THAT(job_options_markdown(),
              HasSubstr("| `--tls-ca` |  |  |  | Job CA certificate (PEM; {host} is replaced) |"));
}

TEST(HostPort, SplitsWhatBindAccepts) {
  auto split = [](const std::string& text) { return split_host_port(text, "--bind"); };
  EXPECT_EQ(split("10.0.0.5:7000").host, "10.0.0.5");
  EXPECT_EQ(split("10.0.0.5:7000").port, 7000);
  EXPECT_EQ(split("node-1").host, "node-1");
  EXPECT_FALSE(split("node-1").port.has_value());
  EXPECT_EQ(split("fe80::1").host, "fe80::1");  // IPv6 literal, no port
  EXPECT_FALSE(split("fe80::1").port.has_value());
  EXPECT_EQ(split("[fe80::1]:0").host, "fe80::1");
  EXPECT_EQ(split("[fe80::1]:0").port, 0);
  EXPECT_EQ(split("[::1]").host, "::1");
  EXPECT_EQ(split("h:65535").port, 65535);
  for (const char* bad : {"h:abc", "h:", "h:65536", "h:-1", "h:80x", "h: 80", "h:99999999999", ":80", "[::1", "[::1]x",
                          "[::1]:", "[]:80", ""}) {
    EXPECT_THAT([&] { split(bad); }, ThrowsMessage<InputError>(StartsWith(std::string("--bind '") + bad + "': ")))
        << bad;
  }
}

TEST(HostPort, EndpointParseRefusesBadPorts) {
  EXPECT_EQ(Endpoint::parse("[::1]:80").port, 80);
  EXPECT_EQ(Endpoint::parse("[::1]:80").address, "::1");
  for (const char* bad : {"1.2.3.4:80abc", "1.2.3.4:", "1.2.3.4:65536", "nocolon"})
    EXPECT_THAT([&] { Endpoint::parse(bad); }, Throws<Error>()) << bad;
}
