#pragma once
// Leader -> worker outcome channel. The leader connects to every worker's
// control port before starting mpirun and keeps the connections open; at
// the end it sends "RSIMEXIT <code> <reason>". A worker that loses the
// connection without that line knows the leader vanished (TCP keepalive
// catches a dead host or link within about 25 s) and fails instead of waiting
// forever, unlike the toolkit's workers.
#include <string>
#include <vector>

#include "common/socket.hpp"

namespace ringsim {

struct JobOutcome {
  int exit_code = 0;
  std::string reason;
};

class LeaderChannel {
 public:
  // Connects to each worker ("host:port" endpoints, names resolved with
  // retries) until `deadline`.
  void connect(const std::vector<std::pair<std::string, Endpoint>>& workers, Deadline deadline);
  void announce(const JobOutcome& outcome);

 private:
  std::vector<std::pair<std::string, Socket>> workers_;
};

class WorkerChannel {
 public:
  explicit WorkerChannel(const Endpoint& listen);
  // Waits for the leader to connect, then for its outcome. Throws
  // TimeoutError if it never connects, IoError if it vanishes.
  JobOutcome await_outcome(Deadline connect_deadline, const std::string& leader);

 private:
  Socket listener_;
};

// host name -> numeric address, retrying until `deadline` (SageMaker's names
// may not resolve for a while after start-up).
std::string resolve_host(const std::string& host, Deadline deadline);
// Waits until something accepts TCP connections at `where` (e.g. sshd:22).
void wait_for_port(const Endpoint& where, Deadline deadline, const std::string& what);

}  // namespace ringsim
