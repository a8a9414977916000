#pragma once
// P ranks as threads of this process: each runs `rank_main` on its own
// ThreadComm of one ThreadGroup, with its own identity, phase and stop check
// (common/thread_rank.hpp). What run_thread_job runs a job with, and what
// the tests run any collective code with.
#include <functional>
#include <string>
#include <vector>

#include "transport/communicator.hpp"

namespace ringsim {

struct ThreadRanksOptions {
  // Polled on the calling thread at least every 100 ms (may be empty): once
  // it returns true, every rank's next wait or stop check throws
  // StoppedError, and the call throws Stopped once all are joined.
  std::function<bool()> stop_requested;
  // Each rank's machine (Communicator::machines()); empty: all on this one.
  std::vector<std::string> machines;
};

// Returns when every rank returned. A rank that throws outside an agreement
// ends every other rank at its next wait (as an aborted MPI job would), and
// the call throws AgreedFailure with the first culprit's message (rank, host,
// phase and error); a failure every rank agreed on is thrown as agreed.
void run_on_thread_ranks(int ranks, const std::function<void(Communicator&)>& rank_main,
                         const ThreadRanksOptions& options = {});

}  // namespace ringsim
