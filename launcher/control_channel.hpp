#pragma once
// Leader -> worker outcome channel. The leader connects to every worker's
// control port before starting mpirun and keeps the connections open; at
// the end it sends "RSIMEXIT <code> <reason>". A worker that loses the
// connection without that line knows the leader vanished (TCP keepalive
// catches a dead host or link within about 25 s) and fails instead of waiting
// forever, unlike the toolkit's workers.
//
// With the job's certificates (a tls_channel), the channel is TLS with both
// sides authenticated: a worker accepts the outcome only from a peer whose
// certificate names the leader host, and keeps listening past connections
// that cannot show one. Without them it is plain TCP (docs/security.md).
#include <memory>
#include <string>
#include <vector>

#include "common/socket.hpp"

namespace ringsim {

class TlsContext;
class BlockingTls;

// One control connection, plain or TLS.
class ControlLink {
 public:
  ControlLink(Socket socket, std::unique_ptr<BlockingTls> tls);
  ~ControlLink();
  ControlLink(ControlLink&&) noexcept;
  void write_all(const std::string& text, Deadline deadline, const std::string& what);
  char read_byte(Deadline deadline, const std::string& what);

 private:
  Socket socket_;  // plain; empty when tls_ holds the socket
  std::unique_ptr<BlockingTls> tls_;
};

struct JobOutcome {
  int exit_code = 0;
  std::string reason;
};

class LeaderChannel {
 public:
  // Connects to each worker ("host:port" endpoints, names resolved with
  // retries) until `deadline`; over TLS when `tls` is given (each worker's
  // certificate must name its host).
  void connect(const std::vector<std::pair<std::string, Endpoint>>& workers, Deadline deadline,
               const TlsContext* tls = nullptr);
  // Hands every worker the public half of this job's ssh key (mpirun's
  // logins) and waits until each has installed it.
  void share_ssh_key(const std::string& public_key, Deadline deadline);
  void announce(const JobOutcome& outcome);

 private:
  std::vector<std::pair<std::string, ControlLink>> workers_;
};

class WorkerChannel {
 public:
  explicit WorkerChannel(const Endpoint& listen);
  // Waits for the leader to connect, then for its outcome. Throws
  // TimeoutError if it never connects, IoError if it vanishes. With `tls`,
  // only a peer whose certificate names `leader` is heard. A job ssh key the
  // leader sends on the way is added to `authorized_keys` (a path).
  JobOutcome await_outcome(Deadline connect_deadline, const std::string& leader, const TlsContext* tls = nullptr,
                           const std::string& authorized_keys = "");

 private:
  Socket listener_;
};

// host name -> numeric address, retrying until `deadline` (SageMaker's names
// may not resolve for a while after start-up).
std::string resolve_host(const std::string& host, Deadline deadline);
// Waits until something accepts TCP connections at `where` (e.g. sshd:22).
void wait_for_port(const Endpoint& where, Deadline deadline, const std::string& what);

}  // namespace ringsim
