#pragma once
#include <string>

#include "transport/mpi_comm.hpp"
#include "transport/tls_stream.hpp"
#include "transport/transport_factory.hpp"

namespace ringsim {

// This rank's TLS credentials: from --tls-ca / --tls-cert / --tls-key (a
// "{host}" in a path becomes this rank's identity host), or, with
// --tls-ephemeral, a CA made by rank 0 and sent to the others over MPI (so
// only as trustworthy as the launch channel) and a certificate made here.
// Collective when ephemeral.
TlsIdentity load_tls_credentials(const TransportOptions& options, const MpiComm& comm, const std::string& host);

}  // namespace ringsim
