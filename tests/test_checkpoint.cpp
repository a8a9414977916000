// Checkpoint files: whole-state saves and incremental chains (threshold
// mode's pairs), as the job uses them; no MPI.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include "common/errors.hpp"
#include "engine/checkpoint.hpp"
#include "engine/received_state.hpp"
#include "kernels/tile_kernel.hpp"

using namespace ringsim;
using testing::AllOf;
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

// With a job key every file carries an HMAC over header and payload: a file
// changed by someone without the key (checksum recomputed or not), or saved
// under another key, is refused naming it; the right key reads it back.
TEST_F(CheckpointDir, AKeyedFileChangedWithoutTheKeyIsRefused) {
  {
    CheckpointStore store(dir_, 0, 42, "the job key");
    store.save(1, "row 0: neighbours 3, 5");
  }
  EXPECT_EQ(CheckpointStore(dir_, 0, 42, "the job key").load(1), "row 0: neighbours 3, 5");
  EXPECT_THAT([&] { CheckpointStore(dir_, 0, 42, "another key").load(1); },
              ThrowsMessage<IoError>(AllOf(HasSubstr("rank-0.step-1.ckpt"), HasSubstr("fails its HMAC"))));
  // Changed in place, same length: the payload's bytes flipped.
  const std::string path = dir_ + "/rank-0.step-1.ckpt";
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  bytes[32] ^= 1;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  EXPECT_THAT([&] { CheckpointStore(dir_, 0, 42, "the job key").load(1); },
              ThrowsMessage<IoError>(HasSubstr("fails its HMAC")));
  // Listing looks at names and sizes only; what it lists is verified on loading.
  EXPECT_EQ(CheckpointStore(dir_, 0, 42, "the job key").saved_steps(), std::vector<int>{1});
}

TEST(ReceivedState, ListsPairsAndBandsOutsideTheMatrixAreRefused) {
  using Acc = TopKAccumulator<float>;
  const std::vector<std::int64_t> ids = {0, 4, Acc::kEmptyId};
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_NO_THROW(check_topk_lists<float>(ids, std::vector<float>{0.5F, -1.0F, -inf}, 5, "x"));
  EXPECT_THAT([&] { check_topk_lists<float>(std::vector<std::int64_t>{5}, std::vector<float>{0.5F}, 5, "peer 2"); },
              ThrowsMessage<IoError>(HasSubstr("peer 2: a top-k neighbour id 5 outside [0, 5)")));
  for (const float bad : {std::nanf(""), inf, 1.5F})
    EXPECT_THROW(check_topk_lists<float>(std::vector<std::int64_t>{1}, std::vector<float>{bad}, 5, "x"), IoError);
  EXPECT_THROW(check_topk_lists<float>(std::vector<std::int64_t>{Acc::kEmptyId}, std::vector<float>{0.2F}, 5, "x"),
               IoError);

  using Pair = ScoredPair<double>;
  const std::vector<Pair> good = {{0, 1, 0.5}, {0, 4, 0.5}, {3, 4, 1.0}};
  EXPECT_NO_THROW(check_pairs<Pair>(good, 5, 0.5, nullptr, true, "x"));
  EXPECT_THROW(check_pairs<Pair>(std::vector<Pair>{{1, 1, 0.9}}, 5, 0.5, nullptr, true, "x"), IoError);
  EXPECT_THROW(check_pairs<Pair>(std::vector<Pair>{{1, 5, 0.9}}, 5, 0.5, nullptr, true, "x"), IoError);
  EXPECT_THROW(check_pairs<Pair>(std::vector<Pair>{{1, 2, 0.4}}, 5, 0.5, nullptr, true, "x"), IoError)
      << "below the threshold";
  EXPECT_THROW(check_pairs<Pair>(std::vector<Pair>{{3, 4, 0.9}, {0, 1, 0.9}}, 5, 0.5, nullptr, true, "x"), IoError)
      << "out of order";
  const Pair last{3, 4, 0.9};
  EXPECT_THROW(check_pairs<Pair>(std::vector<Pair>{{0, 1, 0.9}}, 5, 0.5, &last, true, "x"), IoError)
      << "out of order across chunks";

  const RowPartition partition = RowPartition::from_sizes({3, 2});
  TileAssignment band{0, 1, 0, 3, 0, 2, false};
  EXPECT_NO_THROW(check_band(band, partition, "x"));
  for (auto broken : {TileAssignment{0, 2, 0, 3, 0, 2, false}, TileAssignment{0, 1, 0, 4, 0, 2, false},
                      TileAssignment{0, 1, 2, 1, 0, 2, false}, TileAssignment{0, 1, 0, 3, 601, 603, false},
                      TileAssignment{0, 1, 0, 3, 0, 2, true}, TileAssignment{-1, 1, 0, 3, 0, 2, false}})
    EXPECT_THROW(check_band(broken, partition, "a checkpoint"), IoError);
}
