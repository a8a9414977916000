// Checkpoint files: whole-state saves and incremental chains (threshold
// mode's pairs), as the job uses them; no MPI.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "common/errors.hpp"
#include "engine/checkpoint.hpp"

using namespace ringsim;
using testing::HasSubstr;
using testing::ThrowsMessage;

namespace {

class CheckpointDir : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() / ("ringsim-ckpt-" + std::to_string(::getpid()) + "-" +
                                                      testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

}  // namespace

TEST_F(CheckpointDir, IncrementsRebuildTheWholeStateOldestFirst) {
  CheckpointStore store(dir_, 3, 42);
  save_increment(store, 0, -1, "abc");
  save_increment(store, 2, 0, "");  // a step that found nothing new
  save_increment(store, 3, 2, "defg");
  EXPECT_EQ(load_increments(store, 3), "abcdefg");
  EXPECT_EQ(load_increments(store, 2), "abc");
  EXPECT_EQ(load_increments(store, 0), "abc");
  // A newer save that did not complete on every rank is simply not used.
  save_increment(store, 5, 3, "zz");
  EXPECT_EQ(load_increments(store, 3), "abcdefg");
}

TEST_F(CheckpointDir, AMissingLinkIsAnErrorNotAShorterResult) {
  CheckpointStore store(dir_, 0, 7);
  save_increment(store, 0, -1, "abc");
  save_increment(store, 1, 0, "def");
  save_increment(store, 2, 1, "ghi");
  std::filesystem::remove(std::filesystem::path(dir_) / "rank-0.step-1.ckpt");
  EXPECT_THAT([&] { load_increments(store, 2); },
              ThrowsMessage<InputError>(HasSubstr("checkpoint of step 1 in " + dir_ + " is missing")));
}

TEST_F(CheckpointDir, WholeStateSavesKeepOnlyTheNewest) {
  CheckpointStore store(dir_, 1, 9);
  store.save(0, "one");
  store.save(1, "two");
  store.keep_only(1);
  EXPECT_EQ(store.saved_steps(), std::vector<int>{1});
  EXPECT_EQ(store.load(1), "two");
  // Another job's file is refused by name.
  CheckpointStore other(dir_, 1, 10);
  EXPECT_THAT([&] { other.saved_steps(); }, ThrowsMessage<InputError>(HasSubstr("was made by another job")));
}

namespace {

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

}  // namespace

// A file cut short (a copy interrupted, a sync that stopped) is not a saved
// step: neither one cut inside its header nor one missing payload bytes, so
// a rerun resumes from the steps that are whole instead of reading garbage.
TEST_F(CheckpointDir, TruncatedFilesAreNotSavedSteps) {
  CheckpointStore store(dir_, 0, 42);
  store.save(0, "first state");
  store.save(1, std::string(100, 'x'));
  store.save(2, std::string(100, 'y'));
  ASSERT_EQ(store.saved_steps(), (std::vector<int>{0, 1, 2}));
  const std::string one = dir_ + "/rank-0.step-1.ckpt", two = dir_ + "/rank-0.step-2.ckpt";
  write_bytes(one, file_bytes(one).substr(0, 20));  // inside the 32-byte header
  const std::string whole = file_bytes(two);
  write_bytes(two, whole.substr(0, whole.size() - 9));  // payload one byte short, no checksum
  EXPECT_EQ(store.saved_steps(), std::vector<int>{0});
  EXPECT_EQ(store.load(0), "first state");
  // Read directly, a file shorter than header and checksum is refused by name.
  EXPECT_THAT([&] { store.load(1); }, ThrowsMessage<IoError>(HasSubstr("rank-0.step-1.ckpt is truncated")));
}

// A file of the right length whose payload changed (a flipped bit on disk or
// in transit) is refused by its checksum, naming the file, not loaded.
TEST_F(CheckpointDir, CorruptPayloadIsRefusedByItsChecksum) {
  CheckpointStore store(dir_, 3, 42);
  store.save(4, std::string(64, 'a'));
  const std::string path = dir_ + "/rank-3.step-4.ckpt";
  std::string bytes = file_bytes(path);
  bytes[32 + 10] ^= 0x01;
  write_bytes(path, bytes);
  EXPECT_EQ(store.saved_steps(), std::vector<int>{4});  // whole length: listed
  EXPECT_THAT([&] { store.load(4); },
              ThrowsMessage<IoError>(HasSubstr("rank-3.step-4.ckpt is corrupt (checksum mismatch)")));
}

// A file whose header names another step than its file name (copied under
// the wrong name) is not taken for that step.
TEST_F(CheckpointDir, AFileUnderAnotherStepsNameIsIgnored) {
  CheckpointStore store(dir_, 0, 42);
  store.save(1, "one");
  std::filesystem::rename(dir_ + "/rank-0.step-1.ckpt", dir_ + "/rank-0.step-5.ckpt");
  EXPECT_TRUE(store.saved_steps().empty());
}

// Increment chains: a link too short to hold the previous step, or one that
// points forward (a loop), is an error, never a shorter state.
TEST_F(CheckpointDir, BrokenIncrementLinksAreErrors) {
  CheckpointStore store(dir_, 0, 42);
  store.save(0, "abc");  // 3 bytes: no room for the 8-byte link
  EXPECT_THAT([&] { load_increments(store, 0); },
              ThrowsMessage<IoError>(HasSubstr("checkpoint of step 0 is truncated")));
  save_increment(store, 1, 3, "xyz");
  EXPECT_THAT([&] { load_increments(store, 1); },
              ThrowsMessage<IoError>(HasSubstr("checkpoint of step 1 links forward to step 3")));
}
