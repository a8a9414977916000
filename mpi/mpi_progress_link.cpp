#include "mpi/mpi_progress_link.hpp"

#include <thread>

#include "mpi/mpi_comm.hpp"

namespace ringsim {

namespace {
// Apart from the control plane's tags (mpi_comm.cpp) and the mpi transport's.
constexpr int kProgressTag = 30003;
}  // namespace

MpiProgressLink::~MpiProgressLink() {
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

void MpiProgressLink::post(const Report& report, bool must) {
  if (request_ != MPI_REQUEST_NULL) {
    int sent = 0;
    check_mpi(MPI_Test(&request_, &sent, MPI_STATUS_IGNORE), "MPI_Test");
    if (!sent && !must) return;
    if (!sent) check_mpi(MPI_Wait(&request_, MPI_STATUS_IGNORE), "MPI_Wait");
  }
  message_ = report;
  check_mpi(MPI_Isend(message_.data(), 3, MPI_INT64_T, 0, kProgressTag, comm_, &request_), "MPI_Isend");
}

bool MpiProgressLink::receive(int& from, Report& report) {
  int arrived = 0;
  MPI_Status status;
  check_mpi(MPI_Iprobe(MPI_ANY_SOURCE, kProgressTag, comm_, &arrived, &status), "MPI_Iprobe");
  if (!arrived) return false;
  check_mpi(MPI_Recv(report.data(), 3, MPI_INT64_T, status.MPI_SOURCE, kProgressTag, comm_, MPI_STATUS_IGNORE),
            "MPI_Recv");
  from = status.MPI_SOURCE;
  return true;
}

}  // namespace ringsim
