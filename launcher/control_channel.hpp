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
  // certificate must name its host). A worker not there yet is tried again
  // after a back-off that doubles from 0.1 s up to 2 s; what failed is logged
  // once per worker and reason. A certificate refused either way (or a
  // worker that says it cannot take part: RSIMFAIL) is no passing fault: the
  // leader gives the other workers a few seconds to connect, so that they
  // can be told, then throws TlsError naming each refused worker and why.
  // `self` (this host) names the certificate a worker refused.
  void connect(const std::vector<std::pair<std::string, Endpoint>>& workers, Deadline deadline,
               const TlsContext* tls = nullptr, const std::string& self = "");
  // For a leader that cannot take part (its own certificate or key cannot
  // be used): tells each worker `reason` in one plaintext line (RSIMFAIL),
  // trying each with back-off until all were told or `deadline`.
  static void tell_plain(const std::vector<std::pair<std::string, Endpoint>>& workers, const std::string& reason,
                         Deadline deadline);
  // Hands every worker the public half of this job's ssh key (mpirun's
  // logins) and waits until each has installed it.
  void share_ssh_key(const std::string& public_key, Deadline deadline);
  void announce(const JobOutcome& outcome);

 private:
  // Tells the refused workers why there is no job, then throws TlsError
  // saying which certificate is the odd one out.
  [[noreturn]] static void fail_refused(const std::vector<std::pair<std::string, Endpoint>>& workers,
                                        const std::vector<std::pair<std::string, std::string>>& refusals,
                                        const std::string& self);
  std::vector<std::pair<std::string, ControlLink>> workers_;
};

class WorkerChannel {
 public:
  explicit WorkerChannel(const Endpoint& listen);
  // Takes the job's ssh key out of authorized_keys again, if it put it there.
  ~WorkerChannel();
  WorkerChannel(const WorkerChannel&) = delete;
  WorkerChannel& operator=(const WorkerChannel&) = delete;
  // The leader's numeric address, when known without a name lookup (local
  // simulations: 127.0.0.1); otherwise its host name is resolved.
  void set_leader_address(const std::string& address) { leader_address_ = address; }
  // Waits for the leader to connect, then for its outcome. Throws
  // TimeoutError if it never connects, IoError if it vanishes. With `tls`,
  // only a peer whose certificate names `leader` is heard. A job ssh key the
  // leader sends on the way is added to `authorized_keys` (a path).
  // A refused handshake, from the leader's address or any other, is logged
  // (once per address and reason) and dropped, and it keeps listening: a
  // stranger who can send from the leader's address cannot end the wait.
  // At `connect_deadline` without the leader: TlsError naming every attempt
  // refused from the leader's address, else TimeoutError. A plaintext
  // RSIMFAIL line from the leader's address (a leader without usable
  // credentials, or the leader's verdict on a refused certificate) is the
  // job's outcome, its reason quoted as the leader's words.
  // `self` (this host) names the certificate the leader refused.
  JobOutcome await_outcome(Deadline connect_deadline, const std::string& leader, const TlsContext* tls = nullptr,
                           const std::string& authorized_keys = "", const std::string& self = "");
  // For a worker that cannot take part (its own certificate or key cannot be
  // used): answers each connection with one plaintext line, RSIMFAIL
  // `reason`, until the leader's address has been answered and 5 s more
  // have passed (the leader reads the line on a second, plain connection),
  // or `deadline`.
  void refuse_all(const std::string& reason, const std::string& leader, Deadline deadline);

 private:
  Socket listener_;
  std::string leader_address_;
  std::string installed_key_;       // the authorized_keys line this worker added
  std::string installed_key_file_;  // and where
  // After the leader's link is in: installs the ssh key it sends, if any,
  // and returns the outcome it sends last.
  JobOutcome follow_leader(ControlLink& link, const std::string& leader, const std::string& authorized_keys,
                           const std::string& link_from);
  void remove_installed_key();
};

// One line (without its '\n') of at most 2000 bytes, read from a plain
// socket by `deadline`.
std::string read_plain_line(int fd, Deadline deadline, const std::string& what);

// host name -> numeric address, retrying until `deadline` (SageMaker's names
// may not resolve for a while after start-up).
std::string resolve_host(const std::string& host, Deadline deadline);
// Waits until an SSH server answers at `where` with its identification line
// ("SSH-2.0-..."), and answers with ours before closing: a bare connect and
// close makes sshd log "kex_exchange_identification: Connection closed by
// remote host" as an error, in every worker's log.
void wait_for_sshd(const Endpoint& where, Deadline deadline, const std::string& what);

}  // namespace ringsim
