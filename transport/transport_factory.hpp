#pragma once
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "transport/communicator.hpp"
#include "transport/transport.hpp"
#include "transport/transport_options.hpp"

namespace ringsim {

// Starts, on a thread, whatever the chosen transport can prepare before MPI
// is up (tls: OpenSSL's one-time start-up and, with --tls-ephemeral, this
// rank's certificate, stored in `options`, which must outlive it). finish()
// (or destruction) waits.
class TransportWarmUp {
 public:
  explicit TransportWarmUp(TransportOptions& options);
  ~TransportWarmUp() { finish(); }
  TransportWarmUp(const TransportWarmUp&) = delete;
  TransportWarmUp& operator=(const TransportWarmUp&) = delete;
  void finish();

 private:
  std::thread thread_;
};

// Collective: every rank of `comm` must call it (tcp and tls ranks make the
// same collective calls, over any backend; mpi ranks none, and get the
// backend's own transport: MPI's, or memory between thread ranks). Throws AgreedFailure when set-up
// failed before connecting (every rank knows); any other error is this
// rank's alone and the caller must end the job.
std::unique_ptr<Transport> make_transport(const TransportOptions& options, const Communicator& comm);

}  // namespace ringsim
