#include "transport/transport_factory.hpp"

#include "common/errors.hpp"
#include "transport/mpi_transport.hpp"
#include "transport/socket_transport.hpp"

namespace ringsim {

std::unique_ptr<Transport> make_transport(const TransportOptions& options, const MpiComm& comm) {
  if (options.kind == "mpi") return std::make_unique<MpiTransport>(comm);
  if (options.kind == "tcp" || options.kind == "tls") return connect_socket_mesh(options, comm);
  throw InputError("unknown --transport '" + options.kind + "'; expected mpi, tcp or tls");
}

}  // namespace ringsim
