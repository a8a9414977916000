#pragma once
#include <string>

#include "net/tls_stream.hpp"
#include "transport/communicator.hpp"
#include "transport/transport_options.hpp"

namespace ringsim {

// This rank's TLS credentials: from --tls-ca / --tls-cert / --tls-key (a
// "{host}" in a path becomes this rank's identity host), or, with
// --tls-ephemeral, a self-signed certificate made here (or ahead of time,
// options.tls_identity_made_ahead), which peers pin by the fingerprint it
// publishes over MPI (so only as authentic as the launch channel).
TlsIdentity load_tls_credentials(const TransportOptions& options, const Communicator& comm, const std::string& host);

}  // namespace ringsim
