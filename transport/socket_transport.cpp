#include "transport/socket_transport.hpp"

#include <openssl/rand.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "common/clock.hpp"
#include "common/errors.hpp"
#include "common/host.hpp"
#include "net/peer_greeting.hpp"
#include "net/rank_binding.hpp"
#include "net/tls_stream.hpp"
#include "transport/agreement.hpp"
#include "transport/machine_cores.hpp"
#include "transport/tls_credentials.hpp"

namespace ringsim {

namespace {

// Plain TCP says so explicitly after the greeting, so a TLS rank sees at once
// that its peer is not speaking TLS (and a plain rank sees a TLS ClientHello
// for what it is).
constexpr char kPlainMarker[4] = {'P', 'L', 'N', '1'};
constexpr std::byte kTlsHandshakeRecord{0x16};  // TLS record type 22
// How long a connection to a rank's port may take to send its greeting
// before it is dropped as a stray (a real peer sends it with the connect).
constexpr auto kGreetingLimit = std::chrono::seconds(10);

// Rank 0's random job id, on every rank (over MPI, the launch channel).
JobId agree_job_id(const Communicator& comm) {
  JobId job{};
  if (comm.rank() == 0 && RAND_bytes(reinterpret_cast<unsigned char*>(job.data()), job.size()) != 1)
    throw TlsError("RAND_bytes failed to draw the job id");
  const std::string agreed = comm.broadcast(std::string(reinterpret_cast<const char*>(job.data()), job.size()), 0);
  RINGSIM_ENFORCE(agreed.size() == job.size(), "job id of the wrong size");
  std::memcpy(job.data(), agreed.data(), job.size());
  return job;
}

std::string describe(int rank, const std::vector<std::string>& hosts, const std::vector<std::string>& endpoints) {
  return "rank " + std::to_string(rank) + " (host " + hosts[rank] + ", " + endpoints[rank] + ")";
}

// Whether this rank pipelines its TLS records: as asked, or (auto) where it
// may run on 2 cores or more and its machine has 2 or more per rank on it.
// The sender and receiver threads pay off only on cores of their own; where
// every core already runs a rank they add hand-offs and move less
// (docs/performance.md).
bool pipelines_tls(TlsPipelining asked, const MachineCores& cores) {
  if (asked != TlsPipelining::automatic) return asked == TlsPipelining::on;
  return cores.own >= 2 && cores.machine >= 2 * cores.machine_ranks;
}

}  // namespace

SocketTransport::SocketTransport(int rank, std::string kind, std::vector<std::unique_ptr<Connection>> connections,
                                 double connect_seconds, std::string tls_crypto, bool tls_pipelined,
                                 PeerIdentities identities)
    : rank_(rank),
      kind_(std::move(kind)),
      connections_(std::move(connections)),
      setup_seconds_(connect_seconds),
      tls_crypto_(std::move(tls_crypto)),
      tls_pipelined_(tls_pipelined),
      identities_(std::move(identities)) {}

void SocketTransport::await_ready(Millis timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const auto left = [&] {
    return std::max(std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now()), Millis(1));
  };
  for (const auto& connection : connections_)
    if (connection) connection->wait_ready(left());
  // The first message each way, inside the stream: who this end is. Both
  // directions are posted before any wait, so no pair of ranks waits on each
  // other.
  const RankBindingBytes mine = encode_rank_binding(identities_.job, rank_, identities_.hosts[rank_]);
  std::vector<RankBindingBytes> theirs(connections_.size());
  std::vector<RequestPtr> sends, receives(connections_.size());
  for (int peer = 0; peer < size(); ++peer) {
    if (!connections_[peer]) continue;
    receives[peer] = connections_[peer]->post_receive(theirs[peer]);
    sends.push_back(connections_[peer]->post_send(mine));
  }
  for (int peer = 0; peer < size(); ++peer) {
    if (!receives[peer]) continue;
    receives[peer]->wait(left());
    check_rank_binding(theirs[peer], identities_.job, peer, identities_.hosts[peer], identities_.describe(peer));
  }
  for (auto& send : sends) send->wait(left());
}

Connection& SocketTransport::peer(int rank) {
  RINGSIM_ENFORCE(rank >= 0 && rank < size() && connections_[rank], "no connection to rank " + std::to_string(rank));
  return *connections_[rank];
}

RequestPtr SocketTransport::isend(int rank, std::span<const std::byte> data) { return peer(rank).post_send(data); }
RequestPtr SocketTransport::irecv(int rank, std::span<std::byte> data) { return peer(rank).post_receive(data); }

TransportStats SocketTransport::stats() const {
  TransportStats stats;
  stats.transport = kind_;
  stats.tls_crypto = tls_crypto_;
  // Set-up = connecting (synchronous) + the slowest handshake (in the
  // background, overlapping the input load).
  stats.handshake_seconds = setup_seconds_;
  double slowest_handshake = 0;
  bool kernel_send = true, kernel_receive = true, any_tls = false;
  for (int peer = 0; peer < size(); ++peer) {
    const auto& connection = connections_[peer];
    if (!connection) continue;
    const auto totals = connection->totals();
    const bool encrypted = identities_.encrypted[peer];
    stats.edges.push_back({peer, identities_.hosts[peer], encrypted, totals.bytes_sent, totals.bytes_received});
    stats.bytes_sent += totals.bytes_sent;
    stats.bytes_received += totals.bytes_received;
    stats.send_seconds += totals.times.socket_write_seconds;
    stats.receive_seconds += totals.times.socket_read_seconds;
    stats.encrypt_seconds += totals.times.encrypt_seconds;
    stats.decrypt_seconds += totals.times.decrypt_seconds;
    if (stats.cipher_suite.empty()) stats.cipher_suite = totals.cipher_suite;
    slowest_handshake = std::max(slowest_handshake, totals.handshake_seconds);
    if (!encrypted) continue;
    any_tls = true;
    kernel_send = kernel_send && totals.kernel_tls_send;
    kernel_receive = kernel_receive && totals.kernel_tls_receive;
  }
  stats.handshake_seconds += slowest_handshake;
  if (kind_ == "tls" && any_tls) {
    // kTLS counts only when every TLS connection of this rank got it.
    stats.ktls_send = kernel_send;
    stats.ktls_receive = kernel_receive;
    stats.tls_crypto = describe_tls_records(kernel_send, kernel_receive);
    stats.tls_pipelined = tls_pipelined_;
  }
  return stats;
}

namespace {

// Where to listen: --bind ADDR|IFACE|HOST[:PORT]; by default loopback when
// every rank shares this machine, else the address this rank's host (its
// place in the rank map, or its host name) resolves to. The launcher always
// binds to the job's network interface: a SageMaker container's host name is
// "aws", which names no address.
Endpoint listen_address(const TransportOptions& options, bool single_machine) {
  Endpoint where{"127.0.0.1", 0};
  if (!options.bind.empty()) {
    const HostPort bind = split_host_port(options.bind, "--bind");
    if (bind.port) where.port = *bind.port;
    where.address = resolve_bind_address(bind.host);
  } else if (!single_machine) {
    try {
      where.address = resolve_bind_address(identity_host());
    } catch (const InputError&) {
      throw InputError("ranks run on several machines and this rank's host name '" + identity_host() +
                       "' resolves to no address: give --bind ADDR|IFACE (the interface peers reach)");
    }
  }
  return where;
}

// This rank's TLS context (null for tcp), set to pipeline records where
// --tls-pipelining says so on these cores.
std::unique_ptr<TlsContext> tls_context(const TransportOptions& options, const Communicator& comm,
                                        const MachineCores& cores) {
  if (options.transport != TransportKind::tls) return nullptr;
  auto tls = std::make_unique<TlsContext>(load_tls_credentials(options, comm, identity_host()),
                                          options.tls_ciphersuites, to_string(options.tls_crypto));
  const bool pipelined = pipelines_tls(options.tls_pipelining, cores);
  tls->set_pipelined_sending(pipelined);
  tls->set_pipelined_receiving(pipelined && options.tls_pipelined_receiving);
  return tls;
}

// Which edges carry TLS: all of them, or (--encrypt inter-host) those
// between hosts. Both ends decide alike from what every rank holds the same
// copy of: the rank map, else the machines MPI placed the ranks on; never
// from what a peer says of itself.
std::vector<bool> encrypted_edges(const TransportOptions& options, bool tls, int rank,
                                  const std::vector<std::string>& machines) {
  const int size = static_cast<int>(machines.size());
  const bool mapped = static_cast<int>(options.rank_hosts.size()) == size;
  const auto same_host = [&](int peer) {
    return mapped ? options.rank_hosts[peer] == options.rank_hosts[rank] : machines[peer] == machines[rank];
  };
  std::vector<bool> encrypted(size, false);
  for (int peer = 0; peer < size; ++peer)
    encrypted[peer] = tls && peer != rank && (options.encrypt == Encrypt::all || !same_host(peer));
  return encrypted;
}

// A higher rank's plain edge: its marker, where a TLS peer would send a
// ClientHello instead (answered in plaintext, so the TLS peer can name the
// cause too). `plain`: this rank runs --transport tcp.
void expect_plain_marker(const Socket& socket, const std::string& who, bool plain, Deadline deadline) {
  const std::byte first = peek_byte(socket.fd(), deadline, "waiting for " + who);
  if (first == kTlsHandshakeRecord) {
    [[maybe_unused]] const ssize_t ignored = ::send(socket.fd(), kPlainMarker, 4, MSG_NOSIGNAL);
    throw IoError(who + (plain ? " is speaking TLS but this rank runs --transport tcp"
                               : " is speaking TLS on an edge this rank keeps in plain TCP (--encrypt differs)"));
  }
  char marker[4];
  read_exact(socket.fd(), as_writable_bytes_of(marker, 4), deadline, "greeting from " + who);
  if (std::memcmp(marker, kPlainMarker, 4) != 0) throw IoError(who + " sent an unknown greeting");
}

// A greeted socket to every peer but this rank. Lower ranks: we connect
// (their listen backlog accepts us even while they are busy connecting
// elsewhere, so this order cannot deadlock). Higher ranks: they connect to
// us. Anything else that connects (a port scanner, a stray peer of another
// job) is dropped, and we keep accepting.
std::vector<Socket> connect_peers(const Socket& listener, int rank, const JobId& job,
                                  const std::vector<std::string>& endpoints, const std::vector<bool>& encrypted,
                                  bool plain, const std::function<std::string(int)>& who, Deadline deadline) {
  const int size = static_cast<int>(endpoints.size());
  std::vector<Socket> sockets(size);
  const auto greeting = encode_greeting(rank, job);
  for (int peer = 0; peer < rank; ++peer) {
    sockets[peer] = connect_to(Endpoint::parse(endpoints[peer]), deadline);
    write_exact(sockets[peer].fd(), greeting, deadline, "greeting " + who(peer));
    if (!encrypted[peer])
      write_exact(sockets[peer].fd(), as_bytes_of(kPlainMarker, 4), deadline, "greeting " + who(peer));
  }
  auto accepted = accept_peers(listener, rank, size, job, deadline, kGreetingLimit, who);
  for (int peer = rank + 1; peer < size; ++peer) {
    // (A TLS acceptor checks the first byte in its handshake, concurrently.)
    if (!encrypted[peer]) expect_plain_marker(accepted.sockets[peer], who(peer), plain, deadline);
    sockets[peer] = std::move(accepted.sockets[peer]);
  }
  return sockets;
}

}  // namespace

std::unique_ptr<Transport> connect_socket_mesh(const TransportOptions& options, const Communicator& comm) {
  const double started = now_seconds();
  const int rank = comm.rank(), size = comm.size();
  // Whom each rank must be: the rank map where there is one (never what
  // peers say of themselves), else each rank's own word over MPI.
  const auto gathered_hosts = comm.allgather(identity_host());
  const auto hosts = static_cast<int>(options.rank_hosts.size()) == size ? options.rank_hosts : gathered_hosts;
  const JobId job = agree_job_id(comm);
  const auto machines = comm.machines();
  const bool single_machine = std::all_of(machines.begin(), machines.end(), [&](auto& m) { return m == machines[0]; });
  const MachineCores cores = machine_cores(comm);

  // What can fail on one rank alone (credentials, a port already taken) is
  // done first and agreed on, with no collective inside: a rank failing
  // between the collectives below would leave its peers waiting in them.
  std::unique_ptr<TlsContext> tls;
  Socket listener;
  Endpoint bound;
  run_agreed(comm, [&] {
    tls = tls_context(options, comm, cores);
    listener = listen_on(listen_address(options, single_machine), bound);
  });
  const std::string advertised = options.advertise.empty() ? bound.to_string() : options.advertise;
  const auto endpoints = comm.allgather(advertised);
  // Ephemeral TLS: each rank's certificate fingerprint, which its peers pin.
  // Gathered for tcp too (empty), so tcp and tls ranks make the same
  // collective calls and a mixed job fails on the handshake, by name.
  const auto fingerprints = comm.allgather(tls && tls->pins_peers() ? tls->fingerprint() : std::string());

  const Deadline deadline = std::chrono::steady_clock::now() +
                            std::chrono::milliseconds(static_cast<long>(options.connect_timeout_seconds * 1000));
  const std::vector<bool> encrypted = encrypted_edges(options, tls != nullptr, rank, machines);
  const bool plain = tls == nullptr;
  const std::function<std::string(int)> who = [&](int peer) { return describe(peer, hosts, endpoints); };
  // From here on a failure is this rank's alone (a peer that does not answer,
  // a bad greeting): the caller ends the job, since peers may be waiting on us.
  std::vector<Socket> sockets = connect_peers(listener, rank, job, endpoints, encrypted, plain, who, deadline);
  std::vector<std::unique_ptr<Connection>> connections(size);
  for (int peer = 0; peer < size; ++peer) {
    if (peer == rank) continue;
    std::unique_ptr<Stream> stream = !encrypted[peer] ? make_plain_stream(std::move(sockets[peer]), who(peer))
                                                      : make_tls_stream(std::move(sockets[peer]), *tls, peer > rank,
                                                                        hosts[peer], who(peer), fingerprints[peer]);
    connections[peer] = std::make_unique<Connection>(std::move(stream), who(peer));
  }
  // Handshakes now run concurrently on the progress threads; await_ready()
  // collects them.
  PeerIdentities identities{job, hosts, [hosts, endpoints](int peer) { return describe(peer, hosts, endpoints); },
                            encrypted};
  return std::make_unique<SocketTransport>(rank, plain ? "tcp" : "tls", std::move(connections), now_seconds() - started,
                                           plain ? "" : describe_tls_records(false, false),
                                           !plain && tls->pipelined_sending() && tls->pipelined_receiving(),
                                           std::move(identities));
}

}  // namespace ringsim
