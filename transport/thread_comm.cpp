#include "transport/thread_comm.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "common/errors.hpp"
#include "common/stop_signal.hpp"
#include "transport/agreement.hpp"

namespace ringsim {

namespace {

using Clock = std::chrono::steady_clock;

// Rank 0 gathers, so it notices a missing rank first and names it; the other
// ranks give it this much longer before they give up on rank 0 itself (as
// MpiComm's do).
constexpr auto kFollowerGrace = std::chrono::seconds(3);
// How often a wait looks at the stop request and the job's failure.
constexpr auto kStopPoll = std::chrono::milliseconds(50);

// Waits on `changed` until `done()` or `deadline`; between slices (lock
// released) throws what this rank's stop or the job's failure asks for.
template <class Done>
bool wait_for_group(std::unique_lock<std::mutex>& lock, std::condition_variable& changed, Clock::time_point deadline,
                    Done done) {
  while (!done()) {
    const auto now = Clock::now();
    if (now >= deadline) return false;
    changed.wait_for(lock, std::min<Clock::duration>(kStopPoll, deadline - now));
    lock.unlock();
    throw_if_stopped();
    lock.lock();
  }
  return true;
}

}  // namespace

class ThreadProgressLink : public ProgressLink {
 public:
  ThreadProgressLink(ThreadGroup& group, int rank) : group_(group), rank_(rank) {}
  void post(const Report& report, bool /*must*/) override;
  bool receive(int& from, Report& report) override;

 private:
  ThreadGroup& group_;
  int rank_;
};

ThreadGroup::ThreadGroup(int size, std::vector<std::string> machines)
    : size_(size), machines_(std::move(machines)), mailboxes_(size) {
  RINGSIM_ENFORCE(size >= 1, "a thread group needs a rank");
  if (machines_.empty()) machines_.assign(static_cast<std::size_t>(size), "this process");
  RINGSIM_ENFORCE(static_cast<int>(machines_.size()) == size, "one machine per thread rank");
}

void ThreadGroup::request_stop() {
  End expected = End::running;
  end_.compare_exchange_strong(expected, End::stopped);
  changed_.notify_all();
}

void ThreadGroup::fail(const std::string& message) {
  {
    std::lock_guard lock(mutex_);
    if (failure_.empty()) failure_ = message;
  }
  end_ = End::failed;
  changed_.notify_all();
}

std::string ThreadGroup::failure() const {
  std::lock_guard lock(mutex_);
  return failure_;
}

void ThreadGroup::throw_if_ended() const {
  const End end = end_.load();
  if (end == End::stopped) throw StoppedError("stopped: the caller asked the job to stop");
  if (end == End::failed) throw AgreedFailure(failure());
}

ThreadGroup::Round& ThreadGroup::round(std::int64_t index) {
  auto [at, made] = rounds_.try_emplace(index);
  if (made) {
    at->second.labels.resize(static_cast<std::size_t>(size_));
    at->second.values.resize(static_cast<std::size_t>(size_));
    at->second.arrived.assign(static_cast<std::size_t>(size_), false);
  }
  return at->second;
}

ThreadComm::ThreadComm(ThreadGroup& group, int rank) : Communicator(rank, group.size()), group_(group) {}

std::unique_ptr<Transport> ThreadComm::make_native_transport() const {
  return std::make_unique<MemoryTransport>(group_.mailboxes(), rank());
}

std::unique_ptr<ProgressLink> ThreadComm::open_progress_link() const {
  return std::make_unique<ThreadProgressLink>(group_, rank());
}

ThreadComm::Outcomes ThreadComm::meet(const char* collective, const std::string& label, const std::string& value,
                                      std::chrono::milliseconds grace) const {
  const std::int64_t index = next_round_++;
  {
    std::lock_guard lock(group_.mutex_);
    auto& round = group_.round(index);
    const auto me = static_cast<std::size_t>(rank());
    round.labels[me] = label;
    round.values[me] = value;
    round.arrived[me] = true;
  }
  group_.changed_.notify_all();
  return rank() == 0 ? gather_at_root(index, collective, label, grace) : await_root(index, collective);
}

ThreadComm::Outcomes ThreadComm::gather_at_root(std::int64_t index, const char* collective, const std::string& label,
                                                std::chrono::milliseconds grace) const {
  const auto started = Clock::now();
  // With a grace: from the first failure reported, wait only that long.
  auto give_up_at = Clock::time_point::max();
  std::unique_lock lock(group_.mutex_);
  const auto all_arrived = [&] {
    auto& round = group_.round(index);
    bool all = true;
    for (int r = 0; r < size(); ++r) {
      const auto at = static_cast<std::size_t>(r);
      if (!round.arrived[at]) {
        all = false;
        continue;
      }
      if (round.labels[at] != label) throw InternalError(out_of_step_message(label, r, round.labels[at]));
      if (grace != std::chrono::milliseconds::max() && !round.values[at].empty() &&
          give_up_at == Clock::time_point::max())
        give_up_at = Clock::now() + grace;
    }
    return all;
  };
  // In slices: a failure reported meanwhile brings the deadline forward.
  while (!wait_for_group(lock, group_.changed_,
                         std::min<Clock::time_point>({give_up_at, started + timeout(), Clock::now() + kStopPoll}),
                         all_arrived)) {
    const auto now = Clock::now();
    if (now >= give_up_at) return Outcomes{group_.round(index).values, false};  // not answered: the job ends
    if (now >= started + timeout()) throw TimeoutError(missing_ranks_message(collective, group_.round(index).arrived));
  }
  auto& round = group_.round(index);
  round.answered = true;
  round.result = round.values;
  Outcomes outcomes{round.values, true};
  if (++round.taken == size()) group_.rounds_.erase(index);
  group_.changed_.notify_all();
  return outcomes;
}

ThreadComm::Outcomes ThreadComm::await_root(std::int64_t index, const char* collective) const {
  const auto deadline = Clock::now() + timeout() + kFollowerGrace;
  std::unique_lock lock(group_.mutex_);
  if (!wait_for_group(lock, group_.changed_, deadline, [&] { return group_.round(index).answered; }))
    throw TimeoutError(silent_root_message(collective));
  auto& round = group_.round(index);
  Outcomes outcomes{round.result, true};
  if (++round.taken == size()) group_.rounds_.erase(index);
  return outcomes;
}

void ThreadProgressLink::post(const Report& report, bool /*must*/) {
  // Never in flight: the report is in rank 0's queue at once.
  std::lock_guard lock(group_.mutex_);
  group_.reports_.emplace_back(rank_, report);
}

bool ThreadProgressLink::receive(int& from, Report& report) {
  std::lock_guard lock(group_.mutex_);
  if (group_.reports_.empty()) return false;
  std::tie(from, report) = group_.reports_.front();
  group_.reports_.pop_front();
  return true;
}

}  // namespace ringsim
