#include "transport/transport_factory.hpp"

#include "common/errors.hpp"
#include "transport/mpi_transport.hpp"

namespace ringsim {

std::unique_ptr<Transport> make_transport(const TransportOptions& options, const MpiComm& comm) {
  if (options.kind == "mpi") return std::make_unique<MpiTransport>(comm);
  throw InputError("unknown --transport '" + options.kind + "'; expected mpi, tcp or tls");
}

}  // namespace ringsim
