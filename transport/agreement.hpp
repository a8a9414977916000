#pragma once
// Collective error agreement: a phase that may fail on some ranks (bad input,
// an unwritable directory, a refused handshake) runs on every rank, then all
// ranks learn whether any failed. Everyone exits non-zero with the first
// culprit's message and nobody waits for a peer that gave up.
//
// The phase itself must make no collective call: a rank that failed early
// would skip it and leave its peers waiting in it.
#include <string>

#include "common/errors.hpp"
#include "common/phase.hpp"
#include "transport/communicator.hpp"

namespace ringsim {

// A failure of the job whose what() already names the culprit rank, host and
// phase. `everyone_knows`: every rank threw it, so each may exit normally;
// otherwise only some ranks know and the job must be aborted.
class AgreedFailure : public Error {
 public:
  explicit AgreedFailure(const std::string& message, bool everyone_knows = true)
      : Error(message), everyone_knows_(everyone_knows) {}
  bool everyone_knows() const { return everyone_knows_; }

 private:
  bool everyone_knows_;
};

namespace agreement_detail {
// Gathers every rank's outcome ("" = fine; else 'P' primary or 'E' echo +
// message) and throws AgreedFailure if any failed. Once some rank has
// failed, rank 0 waits only briefly for the rest: they may be stuck in a
// wait on the rank that failed.
void settle(const Communicator& comm, const std::string& outcome);
}  // namespace agreement_detail

// A peer closing its connection is usually the echo of that peer's own
// failure, so the report names the lowest rank with any other error first.
template <class Fn>
void run_agreed(const Communicator& comm, Fn&& fn) {
  std::string outcome;
  try {
    fn();
  } catch (const AgreedFailure&) {
    throw;  // a nested agreement already settled this
  } catch (const PeerClosedError& e) {
    outcome = "E" + where_this_rank_is() + ": " + e.what();
  } catch (const std::exception& e) {
    outcome = "P" + where_this_rank_is() + ": " + e.what();
  }
  agreement_detail::settle(comm, outcome);
}

}  // namespace ringsim
