#pragma once
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/job_config.hpp"
#include "transport/communicator.hpp"
#include "transport/transport.hpp"

namespace ringsim {

struct TlsIdentity;

// The transport's settings (common/job_config.hpp) and what the front end
// prepares for them.
struct TransportOptions : TransportSettings {
  // Where tls_pipelining says pipelined: also open the records already
  // received while a receiver thread reads the next ones (sending is always
  // pipelined then); false only to measure pipelined sending alone.
  bool tls_pipelined_receiving = true;
  // --tls-ephemeral: an identity made ahead (while MPI starts); null: made
  // during set-up.
  std::shared_ptr<TlsIdentity> tls_identity_made_ahead;
  double connect_timeout_seconds = 60;
  // Each rank's host from the job's rank map (--hosts), which peers must
  // match; empty: what each rank says of itself over MPI.
  std::vector<std::string> rank_hosts;
};

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
