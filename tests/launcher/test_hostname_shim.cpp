// The gethostname() shim (launcher/hostname_shim/): current_host read from
// resourceconfig.json the way the shim reads it inside every MPI process,
// and the built library preloaded into hostname(1).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/current_host.hpp"
#include "tests/scratch_dir.hpp"

using namespace ringsim;
using ringsim::testing::ScratchDir;
namespace fs = std::filesystem;

namespace {

std::string extract(const std::string& text, std::size_t capacity = 256) {
  char out[256] = {};
  const int length = extract_current_host(text.data(), text.size(), out, capacity);
  return length < 0 ? "(none)" : std::string(out, static_cast<std::size_t>(length));
}

}  // namespace

TEST(CurrentHost, TheShimReadsWhatSageMakerWrites) {
  EXPECT_EQ(extract(R"({"current_host":"algo-2","hosts":["algo-1","algo-2"]})"), "algo-2");
  EXPECT_EQ(extract("{\n  \"hosts\" : [\"current_host\"],\n  \"current_host\" :\t\"algo-1-x7k2p\"\n}"), "algo-1-x7k2p");
  EXPECT_EQ(extract(R"({"current_host":"ip-10-0-0-1.ec2.internal"})"), "ip-10-0-0-1.ec2.internal");
}

TEST(CurrentHost, TheShimRefusesWhatIsNotAPlainHostName) {
  EXPECT_EQ(extract(R"({"hosts":["algo-1"]})"), "(none)");
  EXPECT_EQ(extract(R"({"current_host":""})"), "(none)");
  EXPECT_EQ(extract(R"({"current_host":"algo 1"})"), "(none)");
  EXPECT_EQ(extract(R"({"current_host":"al\"go"})"), "(none)");
  EXPECT_EQ(extract(R"({"current_host":7})"), "(none)");
  EXPECT_EQ(extract(R"({"current_host":"algo-1)"), "(none)") << "unterminated";
  EXPECT_EQ(extract("{\"current_host\":\"" + std::string(256, 'a') + "\"}"), "(none)") << "over 255 characters";
  EXPECT_EQ(extract(R"({"current_host":"algo-10"})", 7), "(none)") << "7 bytes hold 6 characters and the NUL";
  EXPECT_EQ(extract(R"({"current_host":"algo-10"})", 8), "algo-10");
}

TEST(HostnameShim, AnswersWithCurrentHostOnlyWhereItCanReadIt) {
  const char* shim = std::getenv("RINGSIM_HOSTNAME_SHIM");
  if (!shim || !*shim) GTEST_SKIP() << "RINGSIM_HOSTNAME_SHIM (the built libringsim_hostname.so) not set";
  const ScratchDir scratch("shim");
  const fs::path& dir = scratch.path();
  std::ofstream(dir / "rc.json") << R"({"current_host":"algo-7","hosts":["algo-7"]})";
  const auto hostname_with = [&](const std::string& config) {
    const std::string command = "env LD_PRELOAD='" + std::string(shim) + "' RINGSIM_RESOURCE_CONFIG='" + config +
                                "' hostname >'" + (dir / "out").string() + "'";
    EXPECT_EQ(std::system(command.c_str()), 0) << command;
    std::string name;
    std::ifstream(dir / "out") >> name;
    return name;
  };
  char real[256] = {};
  ::gethostname(real, sizeof real - 1);
  EXPECT_EQ(hostname_with((dir / "rc.json").string()), "algo-7");
  EXPECT_EQ(hostname_with((dir / "missing.json").string()), real) << "no file: the machine's own name";
}
