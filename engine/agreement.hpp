#pragma once
// Collective error agreement: a phase that may fail on some ranks (bad input,
// an unwritable directory, a refused handshake) runs on every rank, then all
// ranks learn whether any failed. Everyone exits non-zero with the first
// culprit's message and nobody waits for a peer that gave up.
#include <string>

#include "common/errors.hpp"
#include "transport/mpi_comm.hpp"

namespace ringsim {

// Thrown on every rank when some rank failed an agreed phase; what() is the
// lowest failing rank's message prefixed with "rank R: ".
class AgreedFailure : public Error {
 public:
  using Error::Error;
};

// A peer closing its connection is usually the echo of that peer's own
// failure, so the report names the lowest rank with any other error first.
template <class Fn>
void run_agreed(const MpiComm& comm, Fn&& fn) {
  std::string error;  // "" = fine; else 'P' (primary) or 'E' (echo) + message
  try {
    fn();
  } catch (const PeerClosedError& e) {
    error = std::string("E") + e.what();
  } catch (const std::exception& e) {
    error = std::string("P") + e.what();
  }
  const auto errors = comm.allgather(error);
  for (const char kind : {'P', 'E'})
    for (int r = 0; r < comm.size(); ++r)
      if (!errors[r].empty() && errors[r][0] == kind)
        throw AgreedFailure("rank " + std::to_string(r) + ": " + errors[r].substr(1));
}

}  // namespace ringsim
