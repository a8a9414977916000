#include "transport/transport_factory.hpp"

#include "common/errors.hpp"
#include "transport/mpi_transport.hpp"
#include "transport/socket_transport.hpp"
#include "transport/tls_credentials.hpp"

namespace ringsim {

std::unique_ptr<Transport> make_transport(const TransportOptions& options, const MpiComm& comm) {
  if (options.kind == "mpi") return std::make_unique<MpiTransport>(comm);
  if (options.kind == "tcp") return connect_socket_mesh(options, comm, nullptr);
  if (options.kind == "tls") {
    const TlsContext context(load_tls_credentials(options, comm, identity_host()), options.tls_ciphersuites,
                             options.tls_crypto);
    // The context only needs to outlive the handshakes' set-up: each SSL
    // object holds its own reference to the SSL_CTX.
    return connect_socket_mesh(options, comm, &context);
  }
  throw InputError("unknown --transport '" + options.kind + "'; expected mpi, tcp or tls");
}

}  // namespace ringsim
