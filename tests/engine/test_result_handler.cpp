// The ring (engine/ring_loop.hpp, ring_exchange.hpp) with a result handler
// written here, as a new mode would be: every row must meet every other row
// exactly once whatever P, the row counts and the balance, and the partials
// a handler leaves for other ranks' rows must reach their owners, and bars
// the owners' values, through the ring's own exchange.
#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/modes/result_handler.hpp"
#include "engine/phase_timer.hpp"
#include "engine/ring_loop.hpp"
#include "transport/memory_transport.hpp"
#include "transport/thread_ranks.hpp"

using namespace ringsim;

namespace {

// How many rows each row met, for the rows of one block.
struct MeetingCounts : PartialResult {
  explicit MeetingCounts(std::int64_t rows) : counts(static_cast<std::size_t>(rows), 0) {}
  std::vector<std::span<std::byte>> buffers() override { return {as_writable_bytes_of(counts.data(), counts.size())}; }
  std::vector<std::int64_t> counts;
};

// Counts, for each of a tile's pairs, a meeting for both rows.
class MeetingConsumer : public TileConsumer<float> {
 public:
  MeetingConsumer(std::vector<std::int64_t>& own, std::vector<std::int64_t>& visiting)
      : own_(own), visiting_(visiting) {}
  void consume(const ColMatrix<float>& tile, const TilePlace& place) override {
    for (std::int64_t i = 0; i < tile.rows(); ++i)
      for (std::int64_t j = 0; j < tile.cols(); ++j) {
        const std::int64_t own = place.own_local + i, visiting = place.visiting_local + j;
        if (place.diagonal && own >= visiting) continue;
        ++own_[static_cast<std::size_t>(own)];
        ++visiting_[static_cast<std::size_t>(visiting)];
      }
  }
  void consume_transposed(const ColMatrix<float>& tile, const TilePlace& place) override {
    consume(tile.transpose(), place);
  }

 private:
  std::vector<std::int64_t>& own_;
  std::vector<std::int64_t>& visiting_;
};

// A mode in one class: each row's count of rows it met. Its bar is its
// block's number, so a bar from the wrong owner shows.
class MeetingHandler : public ResultHandler<float>, public VisitingPartials<float> {
 public:
  MeetingHandler(const RowPartition& partition, int rank)
      : partition_(partition), rank_(rank), own_(static_cast<std::size_t>(partition.size(rank)), 0) {}

  TileConsumer<float>& begin(int step, const TileAssignment& assignment) override {
    EXPECT_EQ(step, next_step_) << "begin out of order";
    if (step > 0) visiting_ = std::make_unique<MeetingCounts>(partition_.size(assignment.visiting_block));
    visiting_block_ = assignment.visiting_block;
    consumer_ = std::make_unique<MeetingConsumer>(own_, step > 0 ? visiting_->counts : own_);
    return *consumer_;
  }
  void end(int step, const TileAssignment&) override { EXPECT_EQ(step, next_step_++) << "end without its begin"; }
  VisitingPartials<float>* partials() override { return this; }

  std::unique_ptr<PartialResult> empty_own_partial() override {
    return std::make_unique<MeetingCounts>(partition_.size(rank_));
  }
  std::unique_ptr<PartialResult> take_visiting_partial() override { return std::move(visiting_); }
  void merge_partial(PartialResult& partial) override {
    const auto& counts = static_cast<MeetingCounts&>(partial).counts;
    for (std::size_t r = 0; r < own_.size(); ++r) own_[r] += counts[r];
  }
  std::vector<float> own_bar() const override { return std::vector<float>(own_.size(), static_cast<float>(rank_)); }
  void raise_visiting_bar(std::span<const float> bar) override {
    for (const float value : bar) wrong_bars += value != static_cast<float>(visiting_block_);
  }

  std::string save() const override { return {}; }
  void restore(const std::string&) override {}
  void ship(RootLink&) override {}
  StagedOutputs write(RootLink&, const std::string&) override { return {}; }

  const std::vector<std::int64_t>& meetings() const { return own_; }
  int wrong_bars = 0;

 private:
  const RowPartition& partition_;
  int rank_;
  int next_step_ = 0;
  int visiting_block_ = 0;
  std::vector<std::int64_t> own_;
  std::unique_ptr<MeetingCounts> visiting_;
  std::unique_ptr<MeetingConsumer> consumer_;
};

// Runs the ring on `ranks` thread ranks; each row's meetings, in row order.
std::vector<std::int64_t> meetings(int ranks, std::int64_t n, std::int64_t grain, std::vector<double> speeds,
                                   int* wrong_bars) {
  const RingSchedule schedule(ranks, speeds, grain);
  const RowPartition partition =
      speeds.empty() ? RowPartition::even(n, ranks, grain) : RowPartition::weighted(n, speeds, grain);
  MemoryMailboxes mailboxes(ranks);
  std::vector<std::int64_t> all(static_cast<std::size_t>(n), -1);
  std::mutex mutex;
  run_on_thread_ranks(ranks, [&](Communicator& comm) {
    MemoryTransport transport(mailboxes, comm.rank());
    PhaseTimer timer;
    const RowMatrix<float> own = RowMatrix<float>::Random(partition.size(comm.rank()), 4);
    MeetingHandler handler(partition, comm.rank());
    run_ring(own, partition, schedule, RingLink{transport, Millis(20000), timer}, handler);
    std::lock_guard lock(mutex);
    for (std::int64_t r = 0; r < partition.size(comm.rank()); ++r)
      all[static_cast<std::size_t>(partition.begin(comm.rank()) + r)] = handler.meetings()[static_cast<std::size_t>(r)];
    *wrong_bars += handler.wrong_bars;
  });
  return all;
}

}  // namespace

// P = 1..5, n not divisible by P nor by the tile grid, even shares and
// measured ones (an even ring's middle step shared as it goes).
TEST(ResultHandler, EveryRowMeetsEveryOtherRowOnceAndPartialsReachTheirOwners) {
  for (int ranks = 1; ranks <= 5; ++ranks)
    for (const bool measured : {false, true}) {
      std::vector<double> speeds;
      if (measured)
        for (int r = 0; r < ranks; ++r) speeds.push_back(1.0 + 0.5 * r);
      const std::int64_t n = 37;
      int wrong_bars = 0;
      const auto counts = meetings(ranks, n, 3, speeds, &wrong_bars);
      for (std::int64_t row = 0; row < n; ++row)
        ASSERT_EQ(counts[static_cast<std::size_t>(row)], n - 1)
            << "row " << row << ", P = " << ranks << (measured ? ", measured shares" : "");
      EXPECT_EQ(wrong_bars, 0) << "P = " << ranks;
    }
}
