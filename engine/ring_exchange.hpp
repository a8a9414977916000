#pragma once
// What travels between ranks during the ring besides the blocks
// (ring_loop.hpp moves those): for a result handler with partials
// (modes/result_handler.hpp: VisitingPartials, top-k), the partial result
// each step computes for the visiting block's owner, and the owner's bar,
// which follows its block one step behind. The ring loop calls this at the
// points below; a handler without partials only sees begin and end.
//
// Per step s >= 1 on rank r (the schedule's visiting block v):
//   block_arrived(s)  the bar for v is received from the left neighbour
//                     (resume_at(s) instead at a resumed ring's first step:
//                     the bar comes from v itself, ours goes to the rank
//                     holding our block, as the neighbours' were lost)
//   begin(s)          the bar, if here, is passed on to the right
//                     neighbour; the partial for r's rows is received from
//                     the rank computing it; the handler's consumer
//   between tiles     a bar that arrives raises the partial's bar from then on
//   end(s)            the bar is awaited and passed on; the partial for v
//                     is sent to v; the previous step's exchanges settle
// and after step 0 r's own bar goes right. Every rank posts these messages
// in the same order relative to the blocks', so each transport, which
// matches a peer's messages in posting order, pairs them right.
#include <deque>
#include <memory>
#include <vector>

#include "engine/modes/result_handler.hpp"
#include "engine/phase_timer.hpp"
#include "kernels/partition.hpp"
#include "kernels/ring_schedule.hpp"
#include "transport/transport.hpp"

namespace ringsim {

// What the ring talks through: the transport, how long any one wait may
// last, and the timer its waits are counted in (communication_wait).
struct RingLink {
  Transport& transport;
  Millis timeout;
  PhaseTimer& timer;

  void wait(Request& request) const {
    auto scope = timer.measure(TimedPhase::communication_wait);
    request.wait(timeout);
  }
};

template <class Scalar>
class RingExchange {
 public:
  RingExchange(const RingLink& link, const RingSchedule& schedule, const RowPartition& partition,
               ResultHandler<Scalar>& handler);

  void block_arrived(int step);
  void resume_at(int step);
  TileConsumer<Scalar>& begin(int step, const TileAssignment& assignment);
  void between_tiles();
  void end(int step, const TileAssignment& assignment);
  // Completes every exchange of partials posted so far (bars, which
  // travel to the next step, stay in flight): before a checkpoint.
  void settle();
  // After the last step: every partial this rank is owed is merged.
  void finish();

 private:
  struct InFlight {
    std::unique_ptr<PartialResult> partial;
    std::vector<RequestPtr> requests;
  };
  void receive_bar(int from, int block);
  void send_bar(int to);
  void pass_bar_on(int step);
  void settle_oldest(std::deque<InFlight>& exchanges, bool merge);

  RingLink link_;
  const RingSchedule& schedule_;
  const RowPartition& partition_;
  ResultHandler<Scalar>& handler_;
  VisitingPartials<Scalar>* partials_;  // null: nothing to exchange
  int rank_;
  int step_ = 0;  // the step being computed
  std::deque<InFlight> incoming_, outgoing_;
  std::vector<Scalar> bar_in_, bar_out_;  // the visiting block's owner's bar
  RequestPtr bar_recv_, bar_send_;
};

}  // namespace ringsim
