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

template <class Fn>
void run_agreed(const MpiComm& comm, Fn&& fn) {
  std::string error;
  try {
    fn();
  } catch (const std::exception& e) {
    error = e.what();
    if (error.empty()) error = "unknown error";
  }
  const auto errors = comm.allgather(error);
  for (int r = 0; r < comm.size(); ++r)
    if (!errors[r].empty()) throw AgreedFailure("rank " + std::to_string(r) + ": " + errors[r]);
}

}  // namespace ringsim
