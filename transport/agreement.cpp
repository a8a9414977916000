#include "transport/agreement.hpp"

#include <chrono>

namespace ringsim::agreement_detail {

namespace {
// How long rank 0 waits for the other ranks' outcomes once one has failed.
// The others normally report within milliseconds (a refused handshake fails
// on both sides); one that does not is waiting on something that will not
// come, and the job is aborted instead.
constexpr auto kGraceAfterFailure = std::chrono::seconds(2);
}  // namespace

void settle(const Communicator& comm, const std::string& outcome) {
  const auto outcomes = comm.gather_outcomes(outcome, kGraceAfterFailure);
  for (const char kind : {'P', 'E'})
    for (const auto& value : outcomes.values)
      if (!value.empty() && value[0] == kind) throw AgreedFailure(value.substr(1), outcomes.complete);
  RINGSIM_ENFORCE(outcomes.complete, "error agreement stopped early without a failure");
}

}  // namespace ringsim::agreement_detail
