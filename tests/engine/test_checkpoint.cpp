// Checkpoint files: whole-state saves and incremental chains (threshold
// mode's pairs), as the job uses them; no MPI.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>

#include "common/errors.hpp"
#include "engine/checkpoint/checkpoint.hpp"
#include "engine/checkpoint/received_state.hpp"
#include "kernels/tile_kernel.hpp"
#include "tests/reference.hpp"
#include "tests/scratch_dir.hpp"

using namespace ringsim;
using ringsim::testing::file_bytes;
using ringsim::testing::ScratchDir;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

namespace {

// dir_ does not exist yet: the store makes it, as a job's first save does.
class CheckpointDir : public ::testing::Test {
 protected:
  ScratchDir scratch_{"ckpt"};
  std::string dir_ = scratch_.file("checkpoints");
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
  // Dot scores: the bound the job passes (largest squared norm 9) admits 8.5
  // and still refuses what no pair of such rows can score.
  const double dot = dot_score_bound(9.0);
  EXPECT_NO_THROW(check_topk_lists<float>(std::vector<std::int64_t>{1}, std::vector<float>{-8.5F}, 5, "x", dot));
  EXPECT_THROW(check_topk_lists<float>(std::vector<std::int64_t>{1}, std::vector<float>{9.5F}, 5, "x", dot), IoError);
  EXPECT_NO_THROW(check_pairs<Pair>(std::vector<Pair>{{0, 1, 8.5}}, 5, 0.5, nullptr, true, "x", dot));
  EXPECT_THROW(check_pairs<Pair>(std::vector<Pair>{{0, 1, 9.5}}, 5, 0.5, nullptr, true, "x", dot), IoError);

  const RowPartition partition = RowPartition::from_sizes({3, 2});
  TileAssignment band{0, 1, 0, 3, 0, 2, false};
  EXPECT_NO_THROW(check_band(band, partition, "x"));
  for (auto broken : {TileAssignment{0, 2, 0, 3, 0, 2, false}, TileAssignment{0, 1, 0, 4, 0, 2, false},
                      TileAssignment{0, 1, 2, 1, 0, 2, false}, TileAssignment{0, 1, 0, 3, 601, 603, false},
                      TileAssignment{0, 1, 0, 3, 0, 2, true}, TileAssignment{-1, 1, 0, 3, 0, 2, false}})
    EXPECT_THROW(check_band(broken, partition, "a checkpoint"), IoError);
}

namespace {

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

// A checkpoint's name whose step is out of a job's range (20 digits, or over
// INT_MAX) is not one of this job's files: ignored, not the end of the job,
// and never cut to another step.
TEST_F(CheckpointDir, AStepOutOfRangeInAFileNameIsIgnored) {
  CheckpointStore store(dir_, 0, 7);
  store.save(1, "state");
  for (const std::string step : {"12345678901234567890", "4294967297", "2147483648"})
    std::filesystem::copy_file(std::filesystem::path(dir_) / "rank-0.step-1.ckpt",
                               std::filesystem::path(dir_) / ("rank-0.step-" + step + ".ckpt"));
  std::vector<int> steps;
  EXPECT_NO_THROW(steps = store.saved_steps());
  EXPECT_EQ(steps, std::vector<int>{1});
  EXPECT_EQ(store.load(1), "state");
}
