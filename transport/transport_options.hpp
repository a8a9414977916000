#pragma once
// What a rank transport is made from (make_transport, transport_factory.hpp):
// apart from the factory, so that what only takes the options (the TLS
// credentials, the socket mesh, the job's signature) includes no more.
#include <memory>
#include <string>
#include <vector>

#include "common/job_config.hpp"

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

}  // namespace ringsim
