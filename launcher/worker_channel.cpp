#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <optional>
#include <thread>

#include "common/errors.hpp"
#include "common/log.hpp"
#include "common/no_follow_file.hpp"
#include "common/peer_text.hpp"
#include "common/stop_signal.hpp"
#include "launcher/control_channel.hpp"
#include "launcher/control_handshakes.hpp"
#include "launcher/control_message.hpp"
#include "launcher/control_peer.hpp"
#include "net/blocking_tls.hpp"

namespace ringsim {

using Clock = std::chrono::steady_clock;

WorkerChannel::WorkerChannel(const Endpoint& listen) {
  Endpoint bound;
  listener_ = listen_on(listen, bound);
}

namespace {

// Refused attempts from the leader's address named when it never comes.
constexpr std::size_t kMaxRefusalsNamed = 8;

// A larger authorized_keys is not ours to rewrite.
constexpr std::size_t kMaxAuthorizedKeysBytes = 1 << 20;

// Appends the job's key line to `path` (0600, its folder 0700), usable only
// from the leader's address and for nothing but running commands; returns
// the line written (removed again when the worker's channel ends).
std::string authorize_key(const std::string& path, const std::string& key, const std::string& leader_address) {
  if (key.find_first_of("\r\n") != std::string::npos || key.rfind("ssh-ed25519 ", 0) != 0)
    throw IoError("the leader sent a malformed ssh key");
  const std::string line = (leader_address.empty() ? std::string() : "from=\"" + leader_address + "\",") +
                           "no-agent-forwarding,no-port-forwarding,no-X11-forwarding,no-user-rc " + key;
  const std::filesystem::path file(path);
  std::filesystem::create_directories(file.parent_path());
  std::filesystem::permissions(file.parent_path(), std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace);
  // Never through a link at the file or at its temporary's name: sshd's
  // file is rewritten whole, by a rename.
  const std::string existing = read_file_no_follow(path, kMaxAuthorizedKeysBytes).value_or("");
  replace_file_no_follow(path, existing + (existing.empty() || existing.back() == '\n' ? "" : "\n") + line + "\n",
                         0600);
  return line;
}

// The worker's wait for the leader's control link: the connections heard,
// their handshakes, and what was refused on the way.
class LeaderWait {
 public:
  LeaderWait(const std::string& leader, std::string leader_address, const TlsContext* tls, const std::string& self,
             Deadline connect_deadline)
      : leader_(leader),
        leader_address_(std::move(leader_address)),
        tls_(tls),
        self_(self),
        connect_deadline_(connect_deadline) {
    if (tls) handshakes_.emplace(*tls, leader);
  }

  // The leader's link, or its plaintext refusal (the job's outcome), is in.
  bool done() const { return link || plain_outcome; }

  // Takes the handshakes that finished since the last look, in order.
  void take_finished_handshakes() {
    while (handshakes_ && !done()) {
      auto result = handshakes_->next();
      if (!result) break;
      take(std::move(*result));
    }
  }

  // A connection accepted on the worker's port: dropped unless it comes
  // from the leader's address (or, with credentials, while that address is
  // unknown); else the link (no credentials) or a handshake started.
  void hear(Socket connection) {
    enable_keepalive(connection.fd());
    const std::string from = peer_address(connection.fd());
    if (leader_address_.empty()) resolve_leader();
    const bool from_leader = !from.empty() && from == leader_address_;
    // The leader connects from its own address. Without credentials
    // (insecure_unauthenticated_control) nothing else is heard, so a
    // stranger elsewhere on the network cannot install keys or end the job;
    // with them, once that address is known, others are not worth a
    // handshake.
    if (!from_leader && (!tls_ || !leader_address_.empty())) {
      const std::string source = from.empty() ? std::string("?") : from;
      log_once(source + ": not the leader's address",
               "refused a control connection from " + source + ": not the leader's address " +
                   (leader_address_.empty() ? std::string("(the leader's name does not resolve yet)")
                                            : "(" + leader_address_ + ")") +
                   "; logged once per address");
      return;
    }
    if (!tls_) {
      link.emplace(std::move(connection), nullptr);
      link_from = from;
      return;
    }
    if (!handshakes_->start(std::move(connection), from, from_leader, connect_deadline_))
      log_once("too many", "more than " + std::to_string(ControlHandshakes::kMaxHandshakes) +
                               " control connections in handshake at once: closing the newest (logged once)");
  }

  // At the connect deadline without the leader.
  [[noreturn]] void fail() const {
    if (!refused_from_leader_.empty()) {
      std::string attempts;
      for (const auto& attempt : refused_from_leader_) attempts += (attempts.empty() ? "" : "; ") + attempt;
      throw TlsError(
          "control channel: the leader " + leader_ +
          " never authenticated within the wait_seconds bound; refused from the leader's address: " + attempts);
    }
    throw TimeoutError("the leader " + leader_ + " never connected to this worker" +
                       (tls_ ? " with the job's credentials" : ""));
  }

  // Ends the strangers' handshakes still running.
  void end_handshakes() { handshakes_.reset(); }

  std::optional<ControlLink> link;
  std::string link_from;  // the address the leader's link came from
  std::optional<JobOutcome> plain_outcome;

 private:
  // Without credentials the address is all there is to go by: wait for the
  // leader's name to resolve (it may resolve late). Not yet: a refusal from
  // an unknown address is only logged.
  void resolve_leader() {
    try {
      leader_address_ =
          resolve_host(leader_, tls_ ? Clock::now() + std::chrono::milliseconds(500)
                                     : std::min(connect_deadline_, Clock::now() + std::chrono::seconds(10)));
    } catch (const TimeoutError&) {
    }
  }

  // A finished handshake: the leader's link, its plaintext refusal (the
  // job's outcome), or a refusal, logged and dropped.
  void take(ControlHandshakes::Result result) {
    if (result.plain_fail) {
      plain_outcome = JobOutcome{1, *result.plain_fail};
      return;
    }
    if (result.link) {
      link.emplace(std::move(*result.link));
      link_from = result.from;
      return;
    }
    const std::string reason = as_host(result.error, self_);
    const std::string& from = result.from.empty() ? std::string("?") : result.from;
    if (result.from_leader && refused_from_leader_.size() < kMaxRefusalsNamed)
      refused_from_leader_.push_back("from " + from + ": " + reason);
    log_once(from + ": " + reason,
             "refused a control connection from " + from + (result.from_leader ? " (the leader's address)" : "") +
                 ": " + reason + "; still waiting for the leader " + leader_ + " (logged once per address and reason)");
  }

  void log_once(const std::string& key, const std::string& text) {
    if (std::find(logged_refusals_.begin(), logged_refusals_.end(), key) != logged_refusals_.end()) return;
    logged_refusals_.push_back(key);
    log::warning(text);
  }

  const std::string& leader_;
  std::string leader_address_;  // else resolved when first needed (names may resolve late)
  const TlsContext* tls_;
  const std::string& self_;
  Deadline connect_deadline_;
  std::optional<ControlHandshakes> handshakes_;
  std::vector<std::string> logged_refusals_;  // "address: reason", each logged once
  // Every refused attempt from the leader's address, in order (at most
  // kMaxRefusalsNamed): anyone who can send from there (a stranger beside
  // the leader, a forged certificate) can be refused, and none of them ends
  // the wait; if the real leader never authenticates, they are named.
  std::vector<std::string> refused_from_leader_;
};

}  // namespace

JobOutcome WorkerChannel::await_outcome(Deadline connect_deadline, const std::string& leader, const TlsContext* tls,
                                        const std::string& authorized_keys, const std::string& self) {
  LeaderWait wait(leader, leader_address_, tls, self, connect_deadline);
  while (!wait.done()) {
    wait.take_finished_handshakes();
    if (wait.done()) break;
    Socket connection;
    try {
      // Short slices while handshakes run, to take their results promptly.
      connection = accept_one(listener_, std::min(connect_deadline, Clock::now() + std::chrono::milliseconds(100)));
    } catch (const TimeoutError&) {
      if (Clock::now() < connect_deadline) continue;
      wait.fail();
    }
    wait.hear(std::move(connection));
  }
  wait.end_handshakes();
  if (wait.plain_outcome) return *wait.plain_outcome;
  return follow_leader(*wait.link, leader, authorized_keys, wait.link_from);
}

JobOutcome WorkerChannel::follow_leader(ControlLink& link, const std::string& leader,
                                        const std::string& authorized_keys, const std::string& link_from) {
  std::string line;
  for (;;) {
    char c = 0;
    // The job may run for hours: wait without a deadline, but wake to notice
    // a stop request; keepalive turns a dead leader into an error.
    try {
      c = link.read_byte(std::chrono::steady_clock::now() + std::chrono::hours(24 * 365), "waiting for the leader");
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
    // The leader's words go into this host's log and failure file: one
    // printable line (common/peer_text.hpp).
    if (const auto* ended = std::get_if<JobEnded>(&message))
      return {ended->exit_code, printable_line(ended->reason, 1000)};
    if (authorized_keys.empty()) throw IoError("the leader sent an ssh key but this worker takes none");
    // Usable only from where the leader's link came from.
    installed_key_ = authorize_key(authorized_keys, std::get<InstallKey>(message).public_key, link_from);
    installed_key_file_ = authorized_keys;
    link.write_all("RSIMKEYOK\n", std::chrono::steady_clock::now() + std::chrono::seconds(10), "answering the leader");
    line.clear();
  }
}

WorkerChannel::~WorkerChannel() { remove_installed_key(); }

void WorkerChannel::remove_installed_key() {
  if (installed_key_.empty()) return;
  // Rewrite the file without the job's line (a fresh file renamed over the
  // old one, so sshd never reads half of it; never through a link).
  try {
    const std::string text = read_file_no_follow(installed_key_file_, kMaxAuthorizedKeysBytes).value_or("");
    std::string kept;
    std::size_t begin = 0;
    while (begin < text.size()) {
      const std::size_t end = std::min(text.find('\n', begin), text.size());
      if (text.compare(begin, end - begin, installed_key_) != 0) kept += text.substr(begin, end - begin) + "\n";
      begin = end + 1;
    }
    replace_file_no_follow(installed_key_file_, kept, 0600);
  } catch (const Error& e) {
    log::error("the job's ssh key could not be taken out of " + installed_key_file_ + ": " + e.what());
  }
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
