#include "launcher/control_channel.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

#include "common/errors.hpp"
#include "common/log.hpp"
#include "common/stop_signal.hpp"
#include "launcher/control_handshakes.hpp"
#include "launcher/control_message.hpp"
#include "transport/blocking_tls.hpp"

namespace ringsim {

namespace {

// The control connection is idle for the whole job: keepalive probes after
// 10 s of silence, every 5 s, 3 unanswered -> the peer is gone (~25 s).
void enable_keepalive(int fd) {
  int one = 1, idle = 10, interval = 5, count = 3;
  ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
}

}  // namespace

ControlLink::ControlLink(Socket socket, std::unique_ptr<BlockingTls> tls)
    : socket_(std::move(socket)), tls_(std::move(tls)) {}
ControlLink::~ControlLink() = default;
ControlLink::ControlLink(ControlLink&&) noexcept = default;

void ControlLink::write_all(const std::string& text, Deadline deadline, const std::string& what) {
  const std::span<const std::byte> bytes{reinterpret_cast<const std::byte*>(text.data()), text.size()};
  if (tls_)
    tls_->write_all(bytes, deadline);
  else
    write_exact(socket_.fd(), bytes, deadline, what);
}

char ControlLink::read_byte(Deadline deadline, const std::string& what) {
  char c = 0;
  const std::span<std::byte> byte{reinterpret_cast<std::byte*>(&c), 1};
  if (tls_)
    tls_->read_some(byte, deadline);
  else
    read_exact(socket_.fd(), byte, deadline, what);
  return c;
}

std::string resolve_host(const std::string& host, Deadline deadline) {
  auto backoff = std::chrono::milliseconds(100);
  for (;;) {
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* result = nullptr;
    const int code = ::getaddrinfo(host.c_str(), nullptr, &hints, &result);
    if (code == 0) {
      char text[INET_ADDRSTRLEN];
      ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(result->ai_addr)->sin_addr, text, sizeof text);
      ::freeaddrinfo(result);
      return text;
    }
    if (std::chrono::steady_clock::now() + backoff > deadline)
      throw TimeoutError("host name " + host + " did not resolve: " + ::gai_strerror(code));
    throw_if_stopped();
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
  }
}

namespace {

using Clock = std::chrono::steady_clock;

// A TLS failure that trying again cannot mend: a certificate or job secret
// refused by either side, or a peer that does not speak TLS (a worker answering
// RSIMFAIL, see refuse_all).
bool is_refusal(const std::string& what) {
  return what.rfind("TLS: refused ", 0) == 0 || what.find(" refused this rank's certificate") != std::string::npos ||
         what.find(" refused the certificate of ") != std::string::npos ||
         what.find(" refused this host's certificate") != std::string::npos ||
         what.find(" refused this host's job secret") != std::string::npos;
}

// The TLS layer speaks of ranks; here the peers are hosts.
std::string as_host(std::string what, const std::string& self) {
  const std::string rank_words = "this rank's certificate";
  if (const auto at = what.find(rank_words); at != std::string::npos)
    what.replace(at, rank_words.size(), self.empty() ? "this host's certificate" : "the certificate of " + self);
  return what;
}

std::string peer_address(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0 || address.ss_family != AF_INET) return "";
  char text[INET_ADDRSTRLEN];
  ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&address)->sin_addr, text, sizeof text);
  return text;
}

}  // namespace

// Reads one line (without its '\n') of at most 2000 bytes, plain.
std::string read_plain_line(int fd, Deadline deadline, const std::string& what) {
  std::string line;
  for (char c = 0; line.size() < 2000;) {
    read_exact(fd, {reinterpret_cast<std::byte*>(&c), 1}, deadline, what);
    if (c == '\n') break;
    line += c;
  }
  return line;
}

void wait_for_sshd(const Endpoint& where, Deadline deadline, const std::string& what) {
  auto backoff = std::chrono::milliseconds(100);
  std::string last_error;
  for (;;) {
    try {
      Socket probe = connect_to(where, deadline);
      const std::string banner =
          read_plain_line(probe.fd(), std::min(deadline, Clock::now() + std::chrono::seconds(5)), what);
      if (banner.rfind("SSH-", 0) == 0) {
        const std::string ours = "SSH-2.0-ringsim_probe\r\n";
        write_exact(probe.fd(), {reinterpret_cast<const std::byte*>(ours.data()), ours.size()},
                    Clock::now() + std::chrono::seconds(2), what);
        return;
      }
      last_error = "it answered '" + banner.substr(0, 80) + "', not an SSH identification";
    } catch (const StoppedError&) {
      throw;
    } catch (const Error& e) {
      last_error = e.what();
    }
    if (Clock::now() + backoff >= deadline) throw TimeoutError(what + " never became reachable: " + last_error);
    throw_if_stopped();
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
  }
}

void LeaderChannel::connect(const std::vector<std::pair<std::string, Endpoint>>& workers, Deadline deadline,
                            const TlsContext* tls, const std::string& self) {
  // Each worker not yet connected gets a try of at most 2 s in turn, so that
  // one late worker does not keep the leader from connecting to the others:
  // they must be there to hear why the job failed. Between its tries a
  // worker waits a back-off that doubles from 0.1 s up to 2 s.
  struct Pending {
    std::string host;
    Endpoint endpoint;
    std::chrono::milliseconds backoff{100};
    Clock::time_point next_try{};
    std::string logged;  // the last reason logged for this worker
  };
  std::vector<Pending> pending;
  for (const auto& [host, endpoint] : workers)
    pending.push_back({host, endpoint, std::chrono::milliseconds(100), {}, ""});
  std::vector<std::pair<std::string, std::string>> refusals;  // host, why
  std::string last_error;
  while (!pending.empty() && Clock::now() < deadline) {
    throw_if_stopped();
    Clock::time_point earliest = Clock::time_point::max();
    for (const auto& p : pending) earliest = std::min(earliest, p.next_try);
    if (earliest > Clock::now()) {
      std::this_thread::sleep_for(std::min<Clock::duration>(earliest - Clock::now(), std::chrono::milliseconds(100)));
      continue;
    }
    for (auto it = pending.begin(); it != pending.end();) {
      if (it->next_try > Clock::now()) {
        ++it;
        continue;
      }
      const auto try_end = std::min(deadline, Clock::now() + std::chrono::seconds(2));
      std::string numeric_address;
      try {
        Endpoint numeric = it->endpoint;
        numeric.address = numeric_address = resolve_host(it->endpoint.address, try_end);
        Socket socket = connect_to(numeric, try_end);
        enable_keepalive(socket.fd());
        if (tls) {
          auto session = std::make_unique<BlockingTls>(std::move(socket), *tls, /*server=*/false, it->host,
                                                       "worker " + it->host + " (control port)", try_end);
          workers_.emplace_back(it->host, ControlLink(Socket(), std::move(session)));
        } else {
          workers_.emplace_back(it->host, ControlLink(std::move(socket), nullptr));
        }
        it = pending.erase(it);
        continue;
      } catch (const StoppedError&) {
        throw;
      } catch (const Error& e) {
        std::string reason = as_host(e.what(), self);
        if (tls && reason.find("peer spoke plaintext") != std::string::npos) {
          // A worker that cannot use its credentials says why in plaintext
          // on every connection (refuse_all): read it on a plain one.
          try {
            Socket plain = connect_to({numeric_address, it->endpoint.port}, try_end);
            const std::string line = read_plain_line(plain.fd(), try_end, "reading worker " + it->host + "'s refusal");
            if (line.rfind("RSIMFAIL ", 0) == 0) reason = line.substr(9);
          } catch (const StoppedError&) {
            throw;
          } catch (const Error&) {
            // Keep the plaintext refusal as the reason.
          }
        }
        if (tls && (is_refusal(reason) || reason != as_host(e.what(), self))) {
          log::error("control channel: worker " + it->host + ": " + reason);
          refusals.emplace_back(it->host, reason);
          it = pending.erase(it);
          // No retry mends a certificate: give the others a few seconds
          // to connect, so that they hear why there is no job, then fail.
          deadline = std::min(deadline, Clock::now() + std::chrono::seconds(10));
          continue;
        }
        if (reason != it->logged)
          log::info("control channel: worker " + it->host + " not reachable yet (" + reason + "); trying again");
        it->logged = reason;
        last_error = reason;
        it->next_try = Clock::now() + it->backoff;
        it->backoff = std::min(it->backoff * 2, std::chrono::milliseconds(2000));
        ++it;
      }
    }
  }
  if (!refusals.empty()) {
    // Which certificate is the odd one out. This leader verifies each
    // worker's certificate first (TLS 1.3: the server's comes first), so a
    // leader holding another job's CA refuses every worker as "not signed by
    // the job CA", and each worker only hears that the leader refused it.
    std::vector<std::string> ca_refused;
    for (const auto& [host, reason] : refusals)
      if (reason.rfind("TLS: refused ", 0) == 0 && reason.find("not signed by the job CA") != std::string::npos)
        ca_refused.push_back(host);
    std::vector<std::string> secret_refused;  // workers that refused this leader's job secret
    for (const auto& [host, reason] : refusals)
      if (reason.find(" refused this host's job secret") != std::string::npos) secret_refused.push_back(host);
    std::string verdict;
    if (secret_refused.size() == workers.size() && workers.size() >= 2) {
      std::string hosts;
      for (const auto& h : secret_refused) hosts += (hosts.empty() ? "" : ", ") + h;
      verdict = "the job secret of the leader " + (self.empty() ? "host" : self) + " differs from every worker's (" +
                hosts + "): its job_secret is from another job";
    } else if (ca_refused.size() == workers.size() && workers.size() >= 2) {
      std::string hosts;
      for (const auto& h : ca_refused) hosts += (hosts.empty() ? "" : ", ") + h;
      verdict = "the certificate channel of the leader " + (self.empty() ? "host" : self) +
                " is from another job: its ca.pem signed none of the workers' certificates (" + hosts + ")";
    } else if (ca_refused.size() == 1 && workers.size() == 1) {
      verdict =
          "the certificates of " + (self.empty() ? "the leader" : self) + " and " + ca_refused.front() +
          " are from different CAs (one host's certificate channel is from another job): " + refusals.front().second;
    } else {
      for (const auto& [host, reason] : refusals) verdict += (verdict.empty() ? "" : "; ") + host + ": " + reason;
    }
    verdict = "control channel refused: " + verdict;
    // The refused workers are not connected: tell them in plaintext, which
    // they take from the leader's address only (await_outcome).
    std::vector<std::pair<std::string, Endpoint>> refused;
    for (const auto& [host, endpoint] : workers)
      for (const auto& r : refusals)
        if (r.first == host) refused.emplace_back(host, endpoint);
    tell_plain(refused, verdict, Clock::now() + std::chrono::seconds(5));
    throw TlsError(verdict);
  }
  if (!pending.empty()) {
    std::string hosts;
    for (const auto& p : pending) hosts += (hosts.empty() ? "" : ", ") + p.host + " (" + p.endpoint.to_string() + ")";
    throw TimeoutError("worker(s) " + hosts +
                       " never opened the control port within the wait_seconds bound: " + last_error);
  }
}

void LeaderChannel::tell_plain(const std::vector<std::pair<std::string, Endpoint>>& workers, const std::string& reason,
                               Deadline deadline) {
  std::string line = "RSIMFAIL " + reason;
  for (char& c : line)
    if (c == '\n') c = ' ';
  line += "\n";
  std::vector<std::pair<std::string, Endpoint>> pending = workers;
  auto backoff = std::chrono::milliseconds(100);
  while (!pending.empty() && Clock::now() < deadline) {
    for (auto it = pending.begin(); it != pending.end();) {
      try {
        const auto try_end = std::min(deadline, Clock::now() + std::chrono::seconds(2));
        Socket socket = connect_to({resolve_host(it->second.address, try_end), it->second.port}, try_end);
        write_exact(socket.fd(), {reinterpret_cast<const std::byte*>(line.data()), line.size()}, try_end,
                    "telling " + it->first);
        it = pending.erase(it);
      } catch (const StoppedError&) {
        throw;
      } catch (const Error&) {
        ++it;
      }
    }
    if (pending.empty()) break;
    throw_if_stopped();
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
  }
}

void LeaderChannel::share_ssh_key(const std::string& public_key, Deadline deadline) {
  for (auto& [host, link] : workers_)
    link.write_all("RSIMKEY " + public_key + "\n", deadline, "sending " + host + " the job's ssh key");
  for (auto& [host, link] : workers_) {
    std::string ack;
    for (char c; (c = link.read_byte(deadline, "waiting for " + host + " to install the job's ssh key")) != '\n';)
      ack += c;
    if (ack != "RSIMKEYOK") throw IoError(host + " did not install the job's ssh key: " + ack);
  }
}

void LeaderChannel::announce(const JobOutcome& outcome) {
  std::string reason = outcome.reason;
  for (char& c : reason)
    if (c == '\n') c = ' ';
  const std::string line = "RSIMEXIT " + std::to_string(outcome.exit_code) + " " + reason + "\n";
  for (auto& [host, link] : workers_) {
    try {
      link.write_all(line, std::chrono::steady_clock::now() + std::chrono::seconds(10), "telling " + host);
    } catch (const Error&) {
      // A worker that is gone cannot be told; its own host will fail it.
    }
  }
}

WorkerChannel::WorkerChannel(const Endpoint& listen) {
  Endpoint bound;
  listener_ = listen_on(listen, bound);
}

namespace {

// Appends the leader's key line to `path` (0600, its folder 0700), once.
// Adds the job's key to `path`, usable only from the leader's address and
// for nothing but running commands; returns the line written (removed again
// when the worker's channel ends).
std::string authorize_key(const std::string& path, const std::string& key, const std::string& leader_address) {
  if (key.find_first_of("\r\n") != std::string::npos || key.rfind("ssh-ed25519 ", 0) != 0)
    throw IoError("the leader sent a malformed ssh key");
  const std::string line = (leader_address.empty() ? std::string() : "from=\"" + leader_address + "\",") +
                           "no-agent-forwarding,no-port-forwarding,no-X11-forwarding,no-user-rc " + key;
  const std::filesystem::path file(path);
  std::filesystem::create_directories(file.parent_path());
  std::filesystem::permissions(file.parent_path(), std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace);
  std::ofstream out(file, std::ios::app);
  out << line << "\n";
  if (!out) throw IoError("cannot add the job's ssh key to " + path);
  out.close();
  std::filesystem::permissions(file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::replace);
  return line;
}

}  // namespace

JobOutcome WorkerChannel::await_outcome(Deadline connect_deadline, const std::string& leader, const TlsContext* tls,
                                        const std::string& authorized_keys, const std::string& self) {
  std::optional<ControlLink> link;
  std::string leader_address = leader_address_;  // else resolved when first needed (names may resolve late)
  std::vector<std::string> logged_refusals;      // "address: reason", each logged once
  std::string refused_by_leader;                 // a certificate refused on a connection from the leader
  std::string link_from;                         // the address the leader's link came from
  const auto log_once = [&](const std::string& key, const std::string& text) {
    if (std::find(logged_refusals.begin(), logged_refusals.end(), key) != logged_refusals.end()) return;
    logged_refusals.push_back(key);
    log::warning(text);
  };
  // A finished handshake: the leader's link, its plaintext refusal (the
  // job's outcome), or a refusal to weigh.
  std::optional<JobOutcome> plain_outcome;
  const auto take = [&](ControlHandshakes::Result result) {
    if (result.plain_fail) {
      plain_outcome = JobOutcome{1, *result.plain_fail};
      return;
    }
    if (result.link) {
      link.emplace(std::move(*result.link));
      link_from = result.from;
      return;
    }
    const std::string reason = as_host(result.error, self);
    // The leader's credentials refused, or ours refused by the leader: no
    // retry mends that, so the job cannot start. From another address it
    // is not the leader (or not yet able to prove it): keep listening, and
    // say so once per address and reason, not once per attempt.
    // Wait a little for the leader's verdict, which names the host at
    // fault (it sees all the workers); without one, say what this side saw.
    if (result.from_leader && is_refusal(reason)) {
      if (refused_by_leader.empty()) {
        log::error("control channel: " + reason + " (waiting for the leader's verdict)");
        refused_by_leader = reason;
        connect_deadline = std::min(connect_deadline, Clock::now() + std::chrono::seconds(15));
      }
      return;
    }
    const std::string& from = result.from.empty() ? std::string("?") : result.from;
    log_once(from + ": " + reason,
             "refused a control connection from " + from + ": " + reason + " (logged once per address and reason)");
  };
  std::optional<ControlHandshakes> handshakes;
  if (tls) handshakes.emplace(*tls, leader);
  while (!link && !plain_outcome) {
    if (handshakes)
      while (!link && !plain_outcome)
        if (auto result = handshakes->next())
          take(std::move(*result));
        else
          break;
    if (link || plain_outcome) break;
    Socket connection;
    try {
      // Short slices while handshakes run, to take their results promptly.
      connection = accept_one(listener_, std::min(connect_deadline, Clock::now() + std::chrono::milliseconds(100)));
    } catch (const TimeoutError&) {
      if (Clock::now() < connect_deadline) continue;
      if (!refused_by_leader.empty()) throw TlsError("control channel: " + refused_by_leader);
      throw TimeoutError("the leader " + leader + " never connected to this worker" +
                         (tls ? " with the job's credentials" : ""));
    }
    enable_keepalive(connection.fd());
    const std::string from = peer_address(connection.fd());
    if (leader_address.empty()) {
      try {
        // Without credentials the address is all there is to go by: wait
        // for the leader's name to resolve (it may resolve late).
        leader_address =
            resolve_host(leader, tls ? Clock::now() + std::chrono::milliseconds(500)
                                     : std::min(connect_deadline, Clock::now() + std::chrono::seconds(10)));
      } catch (const TimeoutError&) {
        // Not yet: a refusal from an unknown address is only logged.
      }
    }
    const bool from_leader = !from.empty() && from == leader_address;
    if (!tls) {
      // No credentials (insecure_unauthenticated_control): only a connection
      // from the leader's address is heard (a stranger elsewhere on the
      // network must not install keys or end the job).
      if (from_leader) {
        link.emplace(std::move(connection), nullptr);
        link_from = from;
        break;
      }
      log_once((from.empty() ? std::string("?") : from) + ": not the leader's address",
               "refused a control connection from " + (from.empty() ? std::string("?") : from) +
                   ": not the leader's address " +
                   (leader_address.empty() ? std::string("(the leader's name does not resolve yet)")
                                           : "(" + leader_address + ")") +
                   "; logged once per address");
      continue;
    }
    // Credentials or not, the leader connects from its own address: once
    // that is known, others are not worth a handshake.
    if (!from_leader && !leader_address.empty()) {
      log_once((from.empty() ? std::string("?") : from) + ": not the leader's address",
               "refused a control connection from " + (from.empty() ? std::string("?") : from) +
                   ": not the leader's address (" + leader_address + "); logged once per address");
      continue;
    }
    if (!handshakes->start(std::move(connection), from, from_leader, connect_deadline))
      log_once("too many", "more than " + std::to_string(ControlHandshakes::kMaxHandshakes) +
                               " control connections in handshake at once: closing the newest (logged once)");
  }
  handshakes.reset();  // ends the strangers' handshakes still running
  if (plain_outcome) return *plain_outcome;
  std::string line;
  for (;;) {
    char c = 0;
    // The job may run for hours: wait without a deadline, but wake to notice
    // a stop request; keepalive turns a dead leader into an error.
    try {
      c = link->read_byte(std::chrono::steady_clock::now() + std::chrono::hours(24 * 365), "waiting for the leader");
    } catch (const IoError& e) {
      throw IoError("lost the connection to the leader " + leader +
                    " before it said how the job ended: the leader's host, its launcher or the network between "
                    "is down (" +
                    e.what() + ")");
    }
    if (c != '\n') {
      if (line.size() >= kMaxControlLine)
        throw IoError("the leader " + leader + " sent a control line over " + std::to_string(kMaxControlLine) +
                      " bytes; refused");
      line += c;
      continue;
    }
    ControlMessage message;
    try {
      message = parse_control_message(line);
    } catch (const IoError& e) {
      throw IoError("the leader " + leader + ": " + e.what());
    }
    if (const auto* ended = std::get_if<JobEnded>(&message)) return {ended->exit_code, ended->reason};
    if (authorized_keys.empty()) throw IoError("the leader sent an ssh key but this worker takes none");
    // Usable only from where the leader's link came from.
    installed_key_ = authorize_key(authorized_keys, std::get<InstallKey>(message).public_key, link_from);
    installed_key_file_ = authorized_keys;
    link->write_all("RSIMKEYOK\n", std::chrono::steady_clock::now() + std::chrono::seconds(10), "answering the leader");
    line.clear();
  }
}

WorkerChannel::~WorkerChannel() { remove_installed_key(); }

void WorkerChannel::remove_installed_key() {
  if (installed_key_.empty()) return;
  // Rewrite the file without the job's line (a fresh file renamed over the
  // old one, so sshd never reads half of it).
  std::ifstream in(installed_key_file_);
  std::string kept, entry;
  while (std::getline(in, entry))
    if (entry != installed_key_) kept += entry + "\n";
  in.close();
  const std::string temporary = installed_key_file_ + ".ringsim." + std::to_string(::getpid());
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << kept;
  }
  std::error_code ignored;
  std::filesystem::permissions(temporary, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::replace, ignored);
  std::filesystem::rename(temporary, installed_key_file_, ignored);
  if (ignored) std::filesystem::remove(temporary, ignored);
  installed_key_.clear();
}

void WorkerChannel::refuse_all(const std::string& reason, const std::string& leader, Deadline deadline) {
  std::string line = "RSIMFAIL " + reason;
  for (char& c : line)
    if (c == '\n') c = ' ';
  line += "\n";
  std::optional<Clock::time_point> answered_leader;
  std::string leader_address = leader_address_;
  for (;;) {
    const auto until = answered_leader ? std::min(deadline, *answered_leader + std::chrono::seconds(5)) : deadline;
    if (Clock::now() >= until) return;
    Socket connection;
    try {
      connection = accept_one(listener_, until);
    } catch (const TimeoutError&) {
      return;
    }
    if (leader_address.empty()) {
      try {
        leader_address = resolve_host(leader, Clock::now() + std::chrono::milliseconds(500));
      } catch (const TimeoutError&) {
      }
    }
    // (Asked before the peer closes: getpeername fails on a closed socket.)
    const bool from_leader = peer_address(connection.fd()) == leader_address;
    const auto end = Clock::now() + std::chrono::seconds(2);
    try {
      write_exact(connection.fd(), {reinterpret_cast<const std::byte*>(line.data()), line.size()}, end,
                  "answering a control connection");
      // Half-close and read what the peer sent (its TLS hello) until it
      // closes: closing with unread bytes would reset the connection before
      // the peer has read the line.
      ::shutdown(connection.fd(), SHUT_WR);
      std::byte sink[512];
      while (Clock::now() < end) {
        const ssize_t got = ::recv(connection.fd(), sink, sizeof sink, MSG_DONTWAIT);
        if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) break;
        if (got < 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    } catch (const StoppedError&) {
      throw;
    } catch (const Error&) {
    }
    if (from_leader && !answered_leader) answered_leader = Clock::now();
  }
}

}  // namespace ringsim
