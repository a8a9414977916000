#include "transport/progress_channel.hpp"

namespace ringsim {

ProgressChannel::ProgressChannel(const Communicator& comm)
    : rank_(comm.rank()), size_(comm.size()), link_(comm.open_progress_link()) {
  if (rank_ == 0) ranks_.resize(static_cast<std::size_t>(size_));
}

void ProgressChannel::report(std::int64_t done, std::int64_t planned, bool finished) {
  if (rank_ == 0) return;
  link_->post({done, planned, finished ? 1 : 0}, finished);
}

int ProgressChannel::poll() {
  int read = 0;
  int from = 0;
  ProgressLink::Report message{};
  for (; link_->receive(from, message); ++read)
    ranks_[static_cast<std::size_t>(from)] = RankProgress{message[0], message[1], message[2] != 0};
  return read;
}

bool ProgressChannel::all_finished() const {
  for (int r = 1; r < size_; ++r)
    if (!ranks_[static_cast<std::size_t>(r)].finished) return false;
  return true;
}

}  // namespace ringsim
