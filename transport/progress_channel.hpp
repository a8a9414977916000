#pragma once
// Rank 0 hears how far every rank's ring has come, without a collective:
// each rank sends its count of finished similarity entries now and then
// (over the communicator's ProgressLink, which matches nothing else), and
// rank 0 reads what has arrived whenever it prints a progress line. A rank
// that is done sends a last count; rank 0 reads every rank's last count
// before the job writes, so no message is left unread when the job ends.
#include <cstdint>
#include <memory>
#include <vector>

#include "transport/communicator.hpp"

namespace ringsim {

struct RankProgress {
  std::int64_t done = 0;     // similarity entries computed
  std::int64_t planned = 0;  // entries in all (0: not heard from yet)
  bool finished = false;
};

class ProgressChannel {
 public:
  explicit ProgressChannel(const Communicator& comm);
  ProgressChannel(const ProgressChannel&) = delete;
  ProgressChannel& operator=(const ProgressChannel&) = delete;

  // Ranks other than 0: tells rank 0 this rank's count, unless the last
  // report is still in flight (a report is a hint; the last one, `finished`,
  // always goes).
  void report(std::int64_t done, std::int64_t planned, bool finished);
  // Rank 0: reads every report that has arrived; returns how many.
  int poll();
  // Rank 0: every rank's latest count as of the last poll (rank 0's own
  // entry is its caller's to fill in).
  const std::vector<RankProgress>& ranks() const { return ranks_; }
  // Rank 0: true once every other rank has sent its last count.
  bool all_finished() const;

 private:
  int rank_, size_;
  std::vector<RankProgress> ranks_;  // rank 0
  // Its destructor lets the last report reach rank 0 (or go, when rank 0 is gone).
  std::unique_ptr<ProgressLink> link_;
};

}  // namespace ringsim
