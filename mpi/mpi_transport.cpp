#include "mpi/mpi_transport.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <thread>
#include <vector>

#include "common/clock.hpp"
#include "common/errors.hpp"
#include "common/stop_signal.hpp"

namespace ringsim {

namespace {

// MPI counts are int: split anything larger into pieces of at most 1 GiB.
constexpr std::size_t kMaxPiece = std::size_t{1} << 30;
constexpr int kTag = 7;

class MpiRequest : public Request {
 public:
  MpiRequest(std::vector<MPI_Request> requests, std::vector<int> expected, int peer, bool is_receive)
      : requests_(std::move(requests)), expected_(std::move(expected)), peer_(peer), is_receive_(is_receive) {}

  ~MpiRequest() override {
    // A request dropped unfinished (error unwinding) must not leave MPI
    // writing into freed memory: cancel what can be cancelled.
    for (auto& request : requests_)
      if (request != MPI_REQUEST_NULL) {
        MPI_Cancel(&request);
        MPI_Request_free(&request);
      }
  }

  bool test() override {
    if (finished_) return true;  // waiting twice is fine (the ring does, around a checkpoint)
    int done = 0;
    if (statuses_.size() != requests_.size()) statuses_.resize(requests_.size());
    auto& statuses = statuses_;
    check_mpi(MPI_Testall(static_cast<int>(requests_.size()), requests_.data(), &done, statuses.data()),
              is_receive_ ? "MPI_Testall (receive)" : "MPI_Testall (send)");
    if (done && is_receive_) {
      for (std::size_t i = 0; i < statuses.size(); ++i) {
        int count = 0;
        MPI_Get_count(&statuses[i], MPI_BYTE, &count);
        if (count != expected_[i])
          throw IoError("message from rank " + std::to_string(peer_) + " has " + std::to_string(count) +
                        " bytes, expected " + std::to_string(expected_[i]));
      }
    }
    finished_ = done != 0;
    return finished_;
  }

  void wait(Millis timeout) override {
    const auto start = Clock::now();
    const auto deadline = start + timeout;
    while (!test()) {
      throw_if_stopped();
      const auto now = Clock::now();
      if (now > deadline)
        throw TimeoutError(std::string(is_receive_ ? "receive from" : "send to") + " rank " + std::to_string(peer_) +
                           " timed out after " + fmt::format("{:g}", timeout.count() / 1000.0) + " s");
      // Open MPI moves large messages only while both sides poll, so poll
      // flat out for the first 2 ms (a transfer of megabytes), then yield the
      // core to a neighbour on an oversubscribed host, and after 100 ms
      // sleep between polls.
      const auto waited = now - start;
      if (waited > std::chrono::milliseconds(100))
        std::this_thread::sleep_for(std::chrono::microseconds(20));
      else if (waited > std::chrono::milliseconds(2))
        std::this_thread::yield();
    }
  }

 private:
  std::vector<MPI_Request> requests_;
  std::vector<int> expected_;
  std::vector<MPI_Status> statuses_;
  int peer_;
  bool is_receive_;
  bool finished_ = false;
};

// Posts one message of `bytes` at `data` to (is_receive: from) `peer`, in
// pieces of at most kMaxPiece (MPI counts are int); a send's buffer is only
// read.
RequestPtr post_message(MPI_Comm comm, int peer, std::byte* data, std::size_t bytes, bool is_receive) {
  std::vector<MPI_Request> requests;
  std::vector<int> sizes;
  std::size_t offset = 0;
  do {
    const int piece = static_cast<int>(std::min(kMaxPiece, bytes - offset));
    MPI_Request request = MPI_REQUEST_NULL;
    if (is_receive)
      check_mpi(MPI_Irecv(data + offset, piece, MPI_BYTE, peer, kTag, comm, &request), "MPI_Irecv");
    else
      check_mpi(MPI_Isend(data + offset, piece, MPI_BYTE, peer, kTag, comm, &request), "MPI_Isend");
    requests.push_back(request);
    sizes.push_back(piece);
    offset += static_cast<std::size_t>(piece);
  } while (offset < bytes);
  return std::make_unique<MpiRequest>(std::move(requests), std::move(sizes), peer, is_receive);
}

}  // namespace

// No MPI_Comm_dup: it is a blocking collective that one stalled rank would
// hang. The transport's tag keeps its messages apart from the control
// plane's (mpi_comm.cpp).
MpiTransport::MpiTransport(const MpiComm& comm) : comm_(comm.raw()), rank_(comm.rank()), size_(comm.size()) {
  stats_.transport = "mpi";
}

RequestPtr MpiTransport::isend(int peer, std::span<const std::byte> data) {
  RINGSIM_ENFORCE(peer >= 0 && peer < size_, "bad peer rank");
  auto request = post_message(comm_, peer, const_cast<std::byte*>(data.data()), data.size(), false);
  stats_.bytes_sent += data.size();  // (once posted)
  return request;
}

RequestPtr MpiTransport::irecv(int peer, std::span<std::byte> data) {
  RINGSIM_ENFORCE(peer >= 0 && peer < size_, "bad peer rank");
  auto request = post_message(comm_, peer, data.data(), data.size(), true);
  stats_.bytes_received += data.size();
  return request;
}

void MpiTransport::progress() {
  int flag = 0;
  MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm_, &flag, MPI_STATUS_IGNORE);
}

}  // namespace ringsim
