#include "transport/progress_channel.hpp"

#include <thread>

#include "common/errors.hpp"

namespace ringsim {

namespace {
// Apart from the control plane's tags (mpi_comm.cpp) and the mpi transport's.
constexpr int kProgressTag = 30003;
}  // namespace

ProgressChannel::ProgressChannel(const MpiComm& comm)
    : comm_(comm.raw()), rank_(comm.rank()), size_(comm.size()), timeout_(comm.timeout()) {
  if (rank_ == 0) ranks_.resize(static_cast<std::size_t>(size_));
}

ProgressChannel::~ProgressChannel() {
  if (request_ == MPI_REQUEST_NULL) return;
  // The last report is small (sent eagerly), so this ends at once unless
  // rank 0 is gone; then the request is let go rather than waited on.
  const auto give_up = std::chrono::steady_clock::now() + timeout_;
  int done = 0;
  while (MPI_Test(&request_, &done, MPI_STATUS_IGNORE) == MPI_SUCCESS && !done &&
         std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (!done && request_ != MPI_REQUEST_NULL) MPI_Request_free(&request_);
}

void ProgressChannel::report(std::int64_t done, std::int64_t planned, bool finished) {
  if (rank_ == 0) return;
  if (request_ != MPI_REQUEST_NULL) {
    int sent = 0;
    check_mpi(MPI_Test(&request_, &sent, MPI_STATUS_IGNORE), "MPI_Test");
    if (!sent && !finished) return;
    if (!sent) check_mpi(MPI_Wait(&request_, MPI_STATUS_IGNORE), "MPI_Wait");
  }
  message_[0] = done;
  message_[1] = planned;
  message_[2] = finished ? 1 : 0;
  check_mpi(MPI_Isend(message_, 3, MPI_INT64_T, 0, kProgressTag, comm_, &request_), "MPI_Isend");
}

int ProgressChannel::poll() {
  int read = 0;
  for (;; ++read) {
    int arrived = 0;
    MPI_Status status;
    check_mpi(MPI_Iprobe(MPI_ANY_SOURCE, kProgressTag, comm_, &arrived, &status), "MPI_Iprobe");
    if (!arrived) break;
    std::int64_t message[3];
    check_mpi(MPI_Recv(message, 3, MPI_INT64_T, status.MPI_SOURCE, kProgressTag, comm_, MPI_STATUS_IGNORE), "MPI_Recv");
    RankProgress& from = ranks_[static_cast<std::size_t>(status.MPI_SOURCE)];
    from = RankProgress{message[0], message[1], message[2] != 0};
  }
  return read;
}

bool ProgressChannel::all_finished() const {
  for (int r = 1; r < size_; ++r)
    if (!ranks_[static_cast<std::size_t>(r)].finished) return false;
  return true;
}

}  // namespace ringsim
