// The files a launcher writes or reads back in folders others can write to
// (output/failure, authorized_keys): links planted at their names or at
// their temporaries' names are never followed (common/no_follow_file.hpp).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "common/errors.hpp"
#include "common/failure_file.hpp"
#include "common/no_follow_file.hpp"
#include "launcher/job_outcome_files.hpp"
#include "tests/scratch_dir.hpp"

using namespace ringsim;
using ringsim::testing::ScratchDir;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::ThrowsMessage;

namespace fs = std::filesystem;

namespace {

std::string text_of(const fs::path& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

// A folder with an output/ inside and two files beside it that planted
// links point at: a victim a write must not reach, a secret a read must not.
class PlantedLinks : public ::testing::Test {
 protected:
  PlantedLinks() {
    fs::create_directories(output_);
    std::ofstream(victim_) << "precious";
    std::ofstream(secret_) << "the host's secret";
  }
  ScratchDir scratch_{"links"};
  fs::path output_ = scratch_.path() / "output";
  fs::path victim_ = scratch_.path() / "victim", secret_ = scratch_.path() / "secret";
  std::string pid_ = std::to_string(::getpid());
};

}  // namespace

TEST_F(PlantedLinks, TheFailureFileIsNeitherReadNorWrittenThroughALink) {
  const fs::path failure = output_ / "failure";
  fs::create_symlink(victim_, output_ / ("failure.tmp." + pid_));
  fs::create_symlink(secret_, failure);
  record_job_failure(failure.string(), "job failed: rank 1 exited");
  EXPECT_EQ(text_of(victim_), "precious") << "the temporary's link was followed";
  EXPECT_EQ(text_of(secret_), "the host's secret");
  EXPECT_FALSE(fs::is_symlink(failure));
  EXPECT_EQ(text_of(failure), "job failed: rank 1 exited") << "the link's target was copied into the failure file";
  EXPECT_FALSE(fs::exists(fs::symlink_status(output_ / ("failure.tmp." + pid_))));
}

TEST_F(PlantedLinks, TheFailureFileKeepsWhatTheRanksWroteAfterTheJobsCause) {
  const fs::path failure = output_ / "failure";
  ASSERT_TRUE(write_failure_file(failure.string(), "rank 3: stopped by signal 15"));
  record_job_failure(failure.string(), "job failed: rank 1 exited");
  EXPECT_EQ(text_of(failure), "job failed: rank 1 exited | on this host: rank 3: stopped by signal 15");
  EXPECT_EQ(fs::status(failure).permissions() & fs::perms::all, fs::perms(0644));
}

TEST_F(PlantedLinks, ReplacingAFileNeverWritesThroughALink) {
  const fs::path file = output_ / "hostfile";
  fs::create_symlink(victim_, output_ / ("hostfile.tmp." + pid_));
  replace_file_no_follow(file.string(), "algo-1 slots=2\n", 0600);
  EXPECT_EQ(text_of(victim_), "precious");
  EXPECT_EQ(text_of(file), "algo-1 slots=2\n");
  EXPECT_EQ(fs::status(file).permissions() & fs::perms::all, fs::perms(0600));
  // A link at the name itself is replaced, its target untouched.
  fs::remove(file);
  fs::create_symlink(victim_, file);
  replace_file_no_follow(file.string(), "algo-2 slots=2\n", 0600);
  EXPECT_EQ(text_of(victim_), "precious");
  EXPECT_FALSE(fs::is_symlink(file));
  EXPECT_EQ(text_of(file), "algo-2 slots=2\n");
}

TEST_F(PlantedLinks, ReadingRefusesALinkByName) {
  fs::create_symlink(secret_, output_ / "failure");
  EXPECT_THAT([&] { read_file_no_follow((output_ / "failure").string(), 1024); },
              ThrowsMessage<IoError>(HasSubstr((output_ / "failure").string() + " is a symbolic link; refused")));
  EXPECT_EQ(read_file_no_follow((output_ / "absent").string(), 1024), std::nullopt);
  std::ofstream(output_ / "large") << std::string(2000, 'x');
  EXPECT_THAT([&] { read_file_no_follow((output_ / "large").string(), 1024); },
              ThrowsMessage<IoError>(HasSubstr("is over 1024 bytes")));
}

// SageMaker shows at most 1024 bytes of output/failure: a rank's longer
// reason is cut there, not written whole.
TEST_F(PlantedLinks, ARanksFailureFileHoldsAtMost1024Bytes) {
  const fs::path failure = output_ / "failure";
  const std::string reason = "rank 2 on algo-1 failed: " + std::string(3000 - 25, 'r');
  ASSERT_EQ(reason.size(), 3000u);
  ASSERT_TRUE(write_failure_file(failure.string(), reason));
  EXPECT_EQ(fs::file_size(failure), 1024u);
  EXPECT_EQ(text_of(failure), reason.substr(0, 1024));
  // The first failure explains the job: a later one leaves it as it is.
  EXPECT_FALSE(write_failure_file(failure.string(), "an echo"));
  EXPECT_EQ(text_of(failure), reason.substr(0, 1024));
  // Never through a link: one at the name counts as a file already there.
  fs::remove(failure);
  fs::create_symlink(victim_, failure);
  EXPECT_FALSE(write_failure_file(failure.string(), "through the link"));
  EXPECT_EQ(text_of(victim_), "precious");
}
