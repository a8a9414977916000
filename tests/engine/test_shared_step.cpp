// The shared middle step (engine/shared_step.hpp) between two in-process
// ranks over an in-memory transport that matches each peer's messages in
// posting order, like the real ones. One rank's tiles are made slow: rows
// must flow to the fast rank, and every pair of the two blocks must still
// be computed exactly once.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "common/errors.hpp"
#include "engine/shared_step.hpp"

using namespace ringsim;

namespace {

// Two ranks' mailboxes; a send is complete once queued.
struct Wire {
  std::mutex mutex;
  std::deque<std::vector<std::byte>> to[2];
  std::int64_t posted[2] = {0, 0}, taken[2] = {0, 0};
};

class DoneRequest : public Request {
 public:
  bool test() override { return true; }
  void wait(Millis) override {}
};

class ReceiveRequest : public Request {
 public:
  ReceiveRequest(Wire& wire, int rank, std::span<std::byte> data, std::int64_t sequence)
      : wire_(wire), rank_(rank), data_(data), sequence_(sequence) {}
  bool test() override {
    if (done_) return true;
    std::lock_guard lock(wire_.mutex);
    auto& queue = wire_.to[rank_];
    if (wire_.taken[rank_] != sequence_ || queue.empty()) return false;
    if (queue.front().size() != data_.size()) throw IoError("message of the wrong size");
    std::memcpy(data_.data(), queue.front().data(), data_.size());
    queue.pop_front();
    ++wire_.taken[rank_];
    return done_ = true;
  }
  void wait(Millis timeout) override {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!test()) {
      if (std::chrono::steady_clock::now() > deadline) throw TimeoutError("no message");
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }

 private:
  Wire& wire_;
  int rank_;
  std::span<std::byte> data_;
  std::int64_t sequence_;
  bool done_ = false;
};

class PairTransport : public Transport {
 public:
  PairTransport(Wire& wire, int rank) : wire_(wire), rank_(rank) {}
  int rank() const override { return rank_; }
  int size() const override { return 2; }
  std::string name() const override { return "pair"; }
  RequestPtr isend(int peer, std::span<const std::byte> data) override {
    std::lock_guard lock(wire_.mutex);
    wire_.to[peer].emplace_back(data.begin(), data.end());
    return std::make_unique<DoneRequest>();
  }
  RequestPtr irecv(int, std::span<std::byte> data) override {
    std::lock_guard lock(wire_.mutex);
    return std::make_unique<ReceiveRequest>(wire_, rank_, data, wire_.posted[rank_]++);
  }
  TransportStats stats() const override { return {}; }

 private:
  Wire& wire_;
  int rank_;
};

// Records which (block 0 row, block 1 row) pairs it saw, and tiles that are
// not a whole cell of the tile grid (within their block); sleeps per tile.
class CountingConsumer : public TileConsumer<float> {
 public:
  CountingConsumer(bool own_is_block0, std::chrono::microseconds per_tile, const RowPartition& partition,
                   std::int64_t grid_edge)
      : own_is_block0_(own_is_block0), per_tile_(per_tile), partition_(partition), edge_(grid_edge) {}
  void consume(const ColMatrix<float>& tile, const TilePlace& place) override {
    for (std::int64_t i = 0; i < tile.rows(); ++i)
      for (std::int64_t j = 0; j < tile.cols(); ++j) {
        const std::int64_t own = place.own_local + i, visiting = place.visiting_local + j;
        ++seen[own_is_block0_ ? std::make_pair(own, visiting) : std::make_pair(visiting, own)];
      }
    if (!whole_cell(place.own_global0, place.own_local, tile.rows()) ||
        !whole_cell(place.visiting_global0, place.visiting_local, tile.cols()))
      ++tiles_off_grid;
    std::this_thread::sleep_for(per_tile_);
  }
  void consume_transposed(const ColMatrix<float>& tile, const TilePlace& place) override {
    consume(tile.transpose(), place);
  }
  std::map<std::pair<std::int64_t, std::int64_t>, int> seen;
  int tiles_off_grid = 0;

 private:
  // Rows [first, first + count) of the block starting at global row
  // `global0`: exactly one grid cell, cut by the block's ends.
  bool whole_cell(std::int64_t global0, std::int64_t first, std::int64_t count) const {
    const int block = partition_.owner(global0 + first);
    const std::int64_t cell = (global0 + first) / edge_ * edge_;
    const std::int64_t begin = std::max(cell, partition_.begin(block));
    const std::int64_t end = std::min(cell + edge_, partition_.end(block));
    return global0 + first == begin && global0 + first + count == end;
  }

  bool own_is_block0_;
  std::chrono::microseconds per_tile_;
  RowPartition partition_;
  std::int64_t edge_;
};

struct Outcome {
  SharedStepTimes times;
  std::map<std::pair<std::int64_t, std::int64_t>, int> seen;
  int tiles_off_grid = 0;
};

// Runs the middle step of a 2-rank ring; rank `slow` takes `slow_us` per tile.
std::pair<Outcome, Outcome> run_pair(std::int64_t rows0, std::int64_t rows1, int slow, int slow_us) {
  const RowPartition partition = RowPartition::from_sizes({rows0, rows1});
  const RingSchedule schedule(2, {1.0, 1.0}, 4);  // split on the grid, as the job does
  const RowMatrix<float> block0 = RowMatrix<float>::Random(rows0, 8), block1 = RowMatrix<float>::Random(rows1, 8);
  Wire wire;
  Outcome outcomes[2];
  auto rank_body = [&](int rank) {
    PairTransport transport(wire, rank);
    const TileAssignment assignment = schedule.assignment(rank, 1, partition);
    SharedStep step(transport, schedule, partition, assignment, Millis(20000));
    CountingConsumer consumer(rank == 0, std::chrono::microseconds(rank == slow ? slow_us : 100), partition, 4);
    const RowMatrix<float>& own = rank == 0 ? block0 : block1;
    const RowMatrix<float>& visiting = rank == 0 ? block1 : block0;
    CpuTileBackend<float> tiles;
    tiles.upload_own(own);
    tiles.upload_visiting(visiting);
    outcomes[rank].times = step.run<float>(tiles, partition.begin(rank), partition.begin(1 - rank), consumer, {});
    outcomes[rank].seen = std::move(consumer.seen);
    outcomes[rank].tiles_off_grid = consumer.tiles_off_grid;
  };
  std::thread other(rank_body, 1);
  rank_body(0);
  other.join();
  return {std::move(outcomes[0]), std::move(outcomes[1])};
}

void expect_every_pair_once(const Outcome& a, const Outcome& b, std::int64_t rows0, std::int64_t rows1) {
  std::map<std::pair<std::int64_t, std::int64_t>, int> all = a.seen;
  for (const auto& [pair, count] : b.seen) all[pair] += count;
  ASSERT_EQ(static_cast<std::int64_t>(all.size()), rows0 * rows1);
  for (const auto& [pair, count] : all) ASSERT_EQ(count, 1) << pair.first << "," << pair.second;
  // Chunks and handed-over ranges end on grid lines: each tile is the GEMM
  // of one whole cell, whichever rank computes it.
  EXPECT_EQ(a.tiles_off_grid, 0);
  EXPECT_EQ(b.tiles_off_grid, 0);
}

}  // namespace

TEST(SharedStep, RowsFlowToTheRankThatRunsOut) {
  // Rank 1 is 30x slower per tile: rank 0 finishes its half early and is
  // handed most of rank 1's.
  const auto [a, b] = run_pair(40, 64, /*slow=*/1, /*slow_us=*/3000);
  expect_every_pair_once(a, b, 40, 64);
  EXPECT_GT(a.times.rows_received, 0);
  EXPECT_EQ(a.times.rows_received, b.times.rows_given);
  EXPECT_EQ(b.times.rows_received, a.times.rows_given);
  // Rank 0 ends up with well over its static half of block 1's 64 rows.
  EXPECT_GT(a.times.entries, 40 * 32);
}

TEST(SharedStep, EitherSideCanBeTheSlowOne) {
  const auto [a, b] = run_pair(40, 64, /*slow=*/0, /*slow_us=*/3000);
  expect_every_pair_once(a, b, 40, 64);
  EXPECT_GT(b.times.rows_received, 0);
  EXPECT_EQ(b.times.rows_received, a.times.rows_given);
}

TEST(SharedStep, EqualRanksAndTinyBlocksStillCoverEveryPairOnce) {
  for (const auto& [rows0, rows1] :
       std::vector<std::pair<std::int64_t, std::int64_t>>{{5, 1}, {1, 5}, {0, 7}, {9, 0}, {3, 3}, {17, 23}}) {
    const auto [a, b] = run_pair(rows0, rows1, /*slow=*/0, /*slow_us=*/100);
    expect_every_pair_once(a, b, rows0, rows1);
  }
}
