// Range checks on `ringsim run`'s numbers and paths, and the HOST[:PORT]
// split of --bind: pure functions, no MPI.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "common/errors.hpp"
#include "common/socket.hpp"
#include "engine/option_checks.hpp"

using namespace ringsim;

namespace {

template <class Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

RunOptions valid_options() {
  RunOptions options;
  options.input = "x.npy";
  options.out_dir = "out";
  return options;
}

std::string error_with(void (*change)(RunOptions&)) {
  RunOptions options = valid_options();
  change(options);
  return error_of([&] { check_run_options(options); });
}

}  // namespace

TEST(RunOptionChecks, DefaultsAndEdgesPass) {
  EXPECT_NO_THROW(check_run_options(valid_options()));
  RunOptions options = valid_options();
  options.mode.k = kMaxK;
  options.tile = {kMaxTile, kMaxTile};
  options.timeout_seconds = kMaxTimeoutSeconds;
  EXPECT_NO_THROW(check_run_options(options));
  options.tile = {1, 1};
  options.timeout_seconds = kMinTimeoutSeconds;
  options.mode.k = 1;
  EXPECT_NO_THROW(check_run_options(options));
}

TEST(RunOptionChecks, TimeoutOutsideItsRangeIsRefused) {
  for (double bad : {std::nan(""), std::numeric_limits<double>::infinity(), 1e300, 0.0, -5.0, 1e-9}) {
    RunOptions options = valid_options();
    options.timeout_seconds = bad;
    const std::string message = error_of([&] { check_run_options(options); });
    EXPECT_NE(message.find("--timeout must be between 0.001 and 1e+06 seconds"), std::string::npos)
        << bad << ": " << message;
  }
}

TEST(RunOptionChecks, KAndTileAreBounded) {
  EXPECT_NE(error_with([](RunOptions& o) {
              o.mode.k = 2147483647;
            }).find("--k must be >= 1 and at most 1048576, got 2147483647"),
            std::string::npos);
  EXPECT_NE(error_with([](RunOptions& o) { o.mode.k = 0; }).find("--k must be >= 1"), std::string::npos);
  EXPECT_NE(error_with([](RunOptions& o) {
              o.tile = {0, 0};
            }).find("--tile must be between 1 and 16384, got 0"),
            std::string::npos);
  EXPECT_NE(error_with([](RunOptions& o) {
              o.tile = {1 << 20, 1 << 20};
            }).find("--tile must be between"),
            std::string::npos);
}

TEST(RunOptionChecks, UrlsAreRefusedForInputAndOut) {
  EXPECT_TRUE(looks_like_url("s3://bucket/x"));
  EXPECT_TRUE(looks_like_url("https://example.com/x.npy"));
  EXPECT_TRUE(looks_like_url("gs+v2.x-y://b"));
  EXPECT_FALSE(looks_like_url("/data/x.npy"));
  EXPECT_FALSE(looks_like_url("dir/a://b"));  // a folder named "a:" inside "dir"
  EXPECT_FALSE(looks_like_url("://x"));
  EXPECT_FALSE(looks_like_url("1s3://x"));
  EXPECT_NE(error_with([](RunOptions& o) { o.out_dir = "s3://bucket/x"; })
                .find("--out 's3://bucket/x' is a URL; ringsim reads and writes local paths only (on SageMaker "
                      "write to the model folder"),
            std::string::npos);
  EXPECT_NE(error_with([](RunOptions& o) { o.input = "https://host/x.npy"; })
                .find("--input 'https://host/x.npy' is a URL; ringsim reads and writes local paths only (on "
                      "SageMaker give the data as an input channel"),
            std::string::npos);
}

TEST(RunOptionChecks, BindAndAdvertiseAreChecked) {
  EXPECT_NE(error_with([](RunOptions& o) {
              o.transport.bind = "127.0.0.1:abc";
            }).find("--bind '127.0.0.1:abc': bad port 'abc' (expected 0..65535)"),
            std::string::npos);
  EXPECT_NE(error_with([](RunOptions& o) { o.transport.bind = "127.0.0.1:70000"; }).find("bad port '70000'"),
            std::string::npos);
  EXPECT_NE(error_with([](RunOptions& o) { o.transport.advertise = "10.0.0.1"; }).find("expected ADDR:PORT"),
            std::string::npos);
  RunOptions options = valid_options();
  options.transport.bind = "eth0";
  options.transport.advertise = "203.0.113.7:7000";
  EXPECT_NO_THROW(check_run_options(options));
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
    const std::string message = error_of([&] { split(bad); });
    EXPECT_EQ(message.rfind(std::string("--bind '") + bad + "': ", 0), 0u) << bad << ": " << message;
  }
}

TEST(HostPort, EndpointParseRefusesBadPorts) {
  EXPECT_EQ(Endpoint::parse("[::1]:80").port, 80);
  EXPECT_EQ(Endpoint::parse("[::1]:80").address, "::1");
  for (const char* bad : {"1.2.3.4:80abc", "1.2.3.4:", "1.2.3.4:65536", "nocolon"})
    EXPECT_FALSE(error_of([&] { Endpoint::parse(bad); }).empty()) << bad;
}
