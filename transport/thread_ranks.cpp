#include "transport/thread_ranks.hpp"

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#include "common/errors.hpp"
#include "common/phase.hpp"
#include "common/thread_rank.hpp"
#include "transport/agreement.hpp"
#include "transport/thread_comm.hpp"

namespace ringsim {

namespace {

// How often the calling thread asks stop_requested (at most every 100 ms).
constexpr auto kStopPoll = std::chrono::milliseconds(50);

// One rank, with this thread's own identity, phase and stop check. A
// failure the other ranks may not know of (outside an agreement, or an
// agreement rank 0 could not finish) ends the whole group with its message,
// as MpiSession::abort ends an MPI job.
void run_rank(const std::function<void(Communicator&)>& rank_main, ThreadGroup& group, int rank, ThreadRank& identity,
              std::exception_ptr& error) {
  identity.rank = rank;
  identity.check_stop = [&group] { group.throw_if_ended(); };
  ThreadRankScope scope(identity);
  try {
    ThreadComm comm(group, rank);
    rank_main(comm);
  } catch (const AgreedFailure& e) {
    error = std::current_exception();
    if (!e.everyone_knows()) group.fail(e.what());
  } catch (const StoppedError&) {
    error = std::current_exception();
  } catch (const std::exception& e) {
    error = std::current_exception();
    group.fail(where_this_rank_is() + ": " + e.what());
  }
}

// The one error for ranks that did not all return.
[[noreturn]] void throw_group_error(const ThreadGroup& group, const std::vector<std::exception_ptr>& errors,
                                    bool stopped) {
  if (stopped) throw Stopped("stopped: the caller asked the job to stop");
  if (const std::string failure = group.failure(); !failure.empty()) throw AgreedFailure(failure);
  for (const auto& error : errors)
    if (error) std::rethrow_exception(error);  // agreed: every rank holds the same message
  throw InternalError("a thread rank failed without an error");
}

}  // namespace

void run_on_thread_ranks(int ranks, const std::function<void(Communicator&)>& rank_main,
                         const ThreadRanksOptions& options) {
  if (ranks < 1) throw InputError("ranks must be at least 1, got " + std::to_string(ranks));
  ThreadGroup group(ranks, options.machines);
  std::deque<ThreadRank> identities(static_cast<std::size_t>(ranks));  // not movable: built in place
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(ranks));
  std::mutex mutex;
  std::condition_variable finished;
  int running = ranks;
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(ranks));
  for (int rank = 0; rank < ranks; ++rank)
    threads.emplace_back([&, rank] {
      const auto at = static_cast<std::size_t>(rank);
      run_rank(rank_main, group, rank, identities[at], errors[at]);
      std::lock_guard lock(mutex);
      --running;
      finished.notify_all();
    });
  // stop_requested runs without the lock held (it may take Python's GIL);
  // should it throw, the ranks stop and its error is the one raised once
  // every rank is joined.
  bool stopped = false;
  std::exception_ptr asking_failed;
  for (;;) {
    {
      std::unique_lock lock(mutex);
      if (finished.wait_for(lock, kStopPoll, [&] { return running == 0; })) break;
    }
    if (stopped || !options.stop_requested) continue;
    try {
      stopped = options.stop_requested();
    } catch (...) {
      asking_failed = std::current_exception();
      stopped = true;
    }
    if (stopped) group.request_stop();
  }
  for (auto& thread : threads) thread.join();
  for (const auto& error : errors)
    if (error) {
      if (asking_failed) std::rethrow_exception(asking_failed);
      throw_group_error(group, errors, stopped);
    }
}

}  // namespace ringsim
