// Checkpoint files: whole-state saves and incremental chains (threshold
// mode's pairs), as the job uses them; no MPI.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

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
