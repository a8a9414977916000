#include "transport/transport_factory.hpp"

#include "common/errors.hpp"
#include "net/tls_stream.hpp"
#include "transport/socket_transport.hpp"

namespace ringsim {

TransportWarmUp::TransportWarmUp(TransportOptions& options) {
  if (options.transport != TransportKind::tls) return;
  if (options.tls_ephemeral) options.tls_identity_made_ahead = std::make_shared<TlsIdentity>();
  thread_ = std::thread([&options] {
    warm_up_tls();
    if (options.tls_identity_made_ahead) {
      try {
        *options.tls_identity_made_ahead = new_ephemeral_identity();
      } catch (const Error&) {
        // Made again during set-up, which reports what fails.
      }
    }
  });
}

void TransportWarmUp::finish() {
  if (thread_.joinable()) thread_.join();
}

std::unique_ptr<Transport> make_transport(const TransportOptions& options, const Communicator& comm) {
  if (options.transport == TransportKind::mpi) return comm.make_native_transport();
  return connect_socket_mesh(options, comm);
}

}  // namespace ringsim
