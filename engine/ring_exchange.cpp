#include "engine/ring_exchange.hpp"

#include <utility>

namespace ringsim {

template <class Scalar>
RingExchange<Scalar>::RingExchange(const RingLink& link, const RingSchedule& schedule, const RowPartition& partition,
                                   ResultHandler<Scalar>& handler)
    : link_(link),
      schedule_(schedule),
      partition_(partition),
      handler_(handler),
      partials_(handler.partials()),
      rank_(link.transport.rank()) {}

template <class Scalar>
void RingExchange<Scalar>::receive_bar(int from, int block) {
  bar_in_.assign(static_cast<std::size_t>(partition_.size(block)), Scalar{});
  bar_recv_ = link_.transport.irecv(from, as_writable_bytes_of(bar_in_.data(), bar_in_.size()));
}

template <class Scalar>
void RingExchange<Scalar>::send_bar(int to) {
  bar_send_ = link_.transport.isend(to, as_bytes_of(bar_out_.data(), bar_out_.size()));
}

template <class Scalar>
void RingExchange<Scalar>::block_arrived(int step) {
  if (partials_) receive_bar(schedule_.left(rank_), schedule_.visiting_block(rank_, step));
}

template <class Scalar>
void RingExchange<Scalar>::resume_at(int step) {
  if (!partials_) return;
  const int block = schedule_.visiting_block(rank_, step);
  receive_bar(block, block);
  bar_out_ = partials_->own_bar();
  send_bar((rank_ + step) % schedule_.ranks());
}

// The visiting block's bar has arrived: hand it to the right neighbour,
// which holds this block next step.
template <class Scalar>
void RingExchange<Scalar>::pass_bar_on(int step) {
  bar_recv_.reset();
  if (bar_send_) link_.wait(*bar_send_);
  std::swap(bar_in_, bar_out_);
  if (step < schedule_.steps() - 1) send_bar(schedule_.right(rank_));
}

template <class Scalar>
TileConsumer<Scalar>& RingExchange<Scalar>::begin(int step, const TileAssignment& assignment) {
  step_ = step;
  if (!partials_ || step == 0) return handler_.begin(step, assignment);
  // The owner's bar, if it is here: the owner may still be on its diagonal
  // (a faster rank holding more rows). Without it the partial starts
  // without a bar, which costs some selection time and changes no result;
  // the bar is then collected and passed on at the end of the step.
  const bool bar_here = bar_recv_->test();
  if (bar_here) pass_bar_on(step);
  // The partial for our rows computed at this step by another rank.
  InFlight incoming{partials_->empty_own_partial(), {}};
  for (const auto buffer : incoming.partial->buffers())
    incoming.requests.push_back(link_.transport.irecv(schedule_.partial_source(rank_, step), buffer));
  incoming_.push_back(std::move(incoming));
  TileConsumer<Scalar>& consumer = handler_.begin(step, assignment);
  if (bar_here) partials_->raise_visiting_bar(bar_out_);
  return consumer;
}

// A bar that arrives during the step raises the partial's from then on.
template <class Scalar>
void RingExchange<Scalar>::between_tiles() {
  if (!partials_ || step_ == 0 || !bar_recv_ || !bar_recv_->test()) return;
  pass_bar_on(step_);
  partials_->raise_visiting_bar(bar_out_);
}

template <class Scalar>
void RingExchange<Scalar>::end(int step, const TileAssignment& assignment) {
  handler_.end(step, assignment);
  if (!partials_) return;
  if (step == 0) {
    if (schedule_.steps() > 1) {
      bar_out_ = partials_->own_bar();
      send_bar(schedule_.right(rank_));
    }
    return;
  }
  if (bar_recv_) {
    link_.wait(*bar_recv_);
    pass_bar_on(step);
  }
  InFlight outgoing{partials_->take_visiting_partial(), {}};
  for (const auto buffer : outgoing.partial->buffers())
    outgoing.requests.push_back(link_.transport.isend(assignment.visiting_block, buffer));
  outgoing_.push_back(std::move(outgoing));
  // Settle the previous step's traffic now that this step's is posted.
  while (outgoing_.size() > 1) settle_oldest(outgoing_, false);
  while (incoming_.size() > 1) settle_oldest(incoming_, true);
}

template <class Scalar>
void RingExchange<Scalar>::settle_oldest(std::deque<InFlight>& exchanges, bool merge) {
  InFlight& oldest = exchanges.front();
  for (auto& request : oldest.requests) link_.wait(*request);
  if (merge) partials_->merge_partial(*oldest.partial);
  exchanges.pop_front();
}

template <class Scalar>
void RingExchange<Scalar>::settle() {
  while (!outgoing_.empty()) settle_oldest(outgoing_, false);
  while (!incoming_.empty()) settle_oldest(incoming_, true);
}

template <class Scalar>
void RingExchange<Scalar>::finish() {
  if (bar_send_) link_.wait(*bar_send_);
  settle();
}

template class RingExchange<float>;
template class RingExchange<double>;

}  // namespace ringsim
