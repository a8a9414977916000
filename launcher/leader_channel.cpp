#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

#include "common/errors.hpp"
#include "common/log.hpp"
#include "common/peer_text.hpp"
#include "common/stop_signal.hpp"
#include "launcher/control_channel.hpp"
#include "launcher/control_message.hpp"
#include "launcher/control_peer.hpp"
#include "net/blocking_tls.hpp"

namespace ringsim {

using Clock = std::chrono::steady_clock;

namespace {

// The link to one worker, over TLS when `tls` is given; `numeric_address`
// is set to the worker's address as soon as its name resolves.
ControlLink open_link(const std::string& host, const Endpoint& endpoint, const TlsContext* tls, Deadline try_end,
                      std::string& numeric_address) {
  Endpoint numeric = endpoint;
  numeric.address = numeric_address = resolve_host(endpoint.address, try_end);
  Socket socket = connect_to(numeric, try_end);
  enable_keepalive(socket.fd());
  if (!tls) return ControlLink(std::move(socket), nullptr);
  auto session = std::make_unique<BlockingTls>(std::move(socket), *tls, /*server=*/false, host,
                                               "worker " + host + " (control port)", try_end);
  return ControlLink(Socket(), std::move(session));
}

// A worker that cannot use its credentials says why in plaintext on every
// connection (refuse_all): read on a plain one, it replaces `reason`.
std::string plaintext_refusal(std::string reason, const std::string& host, const Endpoint& numeric, Deadline try_end) {
  try {
    Socket plain = connect_to(numeric, try_end);
    const std::string line = read_plain_line(plain.fd(), try_end, "reading worker " + host + "'s refusal");
    // The worker's words, unauthenticated: one printable line, quoted.
    if (line.rfind("RSIMFAIL ", 0) == 0) reason = "it says " + peer_words(line.substr(9), 1000);
  } catch (const StoppedError&) {
    throw;
  } catch (const Error&) {
    // Keep the plaintext refusal as the reason.
  }
  return reason;
}

std::string joined_hosts(const std::vector<std::string>& hosts) {
  std::string text;
  for (const auto& h : hosts) text += (text.empty() ? "" : ", ") + h;
  return text;
}

// Which certificate is the odd one out, from the refusals (host, why) of
// `workers` workers. This leader verifies each worker's certificate first
// (TLS 1.3: the server's comes first), so a leader holding another job's CA
// refuses every worker as "not signed by the job CA", and each worker only
// hears that the leader refused it.
std::string refusal_verdict(const std::vector<std::pair<std::string, std::string>>& refusals, std::size_t workers,
                            const std::string& self) {
  std::vector<std::string> ca_refused;
  for (const auto& [host, reason] : refusals)
    if (reason.rfind("TLS: refused ", 0) == 0 && reason.find("not signed by the job CA") != std::string::npos)
      ca_refused.push_back(host);
  std::vector<std::string> secret_refused;  // workers that refused this leader's job secret
  for (const auto& [host, reason] : refusals)
    if (reason.find(" refused this host's job secret") != std::string::npos) secret_refused.push_back(host);
  std::string verdict;
  if (secret_refused.size() == workers && workers >= 2) {
    verdict = "the job secret of the leader " + (self.empty() ? "host" : self) + " differs from every worker's (" +
              joined_hosts(secret_refused) + "): the job_secret file in its job_secret_channel is from another job";
  } else if (ca_refused.size() == workers && workers >= 2) {
    verdict = "the certificate channel of the leader " + (self.empty() ? "host" : self) +
              " is from another job: its ca.pem signed none of the workers' certificates (" + joined_hosts(ca_refused) +
              ")";
  } else if (ca_refused.size() == 1 && workers == 1) {
    verdict =
        "the certificates of " + (self.empty() ? "the leader" : self) + " and " + ca_refused.front() +
        " are from different CAs (one host's certificate channel is from another job): " + refusals.front().second;
  } else {
    for (const auto& [host, reason] : refusals) verdict += (verdict.empty() ? "" : "; ") + host + ": " + reason;
  }
  return "control channel refused: " + verdict;
}

// A worker not connected yet, and when to try it again.
struct PendingWorker {
  std::string host;
  Endpoint endpoint;
  std::chrono::milliseconds backoff{100};
  Clock::time_point next_try{};
  std::string logged;  // the last reason logged for this worker
};

// Sleeps until the first worker's next try is due, at most 0.1 s; false
// when one is due now.
bool wait_for_next_try(const std::vector<PendingWorker>& pending) {
  Clock::time_point earliest = Clock::time_point::max();
  for (const auto& p : pending) earliest = std::min(earliest, p.next_try);
  if (earliest <= Clock::now()) return false;
  std::this_thread::sleep_for(std::min<Clock::duration>(earliest - Clock::now(), std::chrono::milliseconds(100)));
  return true;
}

}  // namespace

void LeaderChannel::connect(const std::vector<std::pair<std::string, Endpoint>>& workers, Deadline deadline,
                            const TlsContext* tls, const std::string& self) {
  // Each worker not yet connected gets a try of at most 2 s in turn, so that
  // one late worker does not keep the leader from connecting to the others:
  // they must be there to hear why the job failed. Between its tries a
  // worker waits a back-off that doubles from 0.1 s up to 2 s.
  std::vector<PendingWorker> pending;
  for (const auto& [host, endpoint] : workers)
    pending.push_back({host, endpoint, std::chrono::milliseconds(100), {}, ""});
  std::vector<std::pair<std::string, std::string>> refusals;  // host, why
  std::string last_error;
  while (!pending.empty() && Clock::now() < deadline) {
    throw_if_stopped();
    if (wait_for_next_try(pending)) continue;
    for (auto it = pending.begin(); it != pending.end();) {
      if (it->next_try > Clock::now()) {
        ++it;
        continue;
      }
      const auto try_end = std::min(deadline, Clock::now() + std::chrono::seconds(2));
      std::string numeric_address;
      try {
        workers_.emplace_back(it->host, open_link(it->host, it->endpoint, tls, try_end, numeric_address));
        it = pending.erase(it);
        continue;
      } catch (const StoppedError&) {
        throw;
      } catch (const Error& e) {
        std::string reason = as_host(e.what(), self);
        if (tls && reason.find("peer spoke plaintext") != std::string::npos)
          reason = plaintext_refusal(reason, it->host, {numeric_address, it->endpoint.port}, try_end);
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
  if (!refusals.empty()) fail_refused(workers, refusals, self);
  if (!pending.empty()) {
    std::string hosts;
    for (const auto& p : pending) hosts += (hosts.empty() ? "" : ", ") + p.host + " (" + p.endpoint.to_string() + ")";
    throw TimeoutError("worker(s) " + hosts +
                       " never opened the control port within the wait_seconds bound: " + last_error);
  }
}

void LeaderChannel::fail_refused(const std::vector<std::pair<std::string, Endpoint>>& workers,
                                 const std::vector<std::pair<std::string, std::string>>& refusals,
                                 const std::string& self) {
  const std::string verdict = refusal_verdict(refusals, workers.size(), self);
  // The refused workers are not connected: tell them in plaintext, which
  // they take from the leader's address only (await_outcome).
  std::vector<std::pair<std::string, Endpoint>> refused;
  for (const auto& [host, endpoint] : workers)
    for (const auto& r : refusals)
      if (r.first == host) refused.emplace_back(host, endpoint);
  tell_plain(refused, verdict, Clock::now() + std::chrono::seconds(5));
  throw TlsError(verdict);
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
    // Capped like every control line: a worker cannot make the leader
    // hold more than kMaxControlLine bytes of its answer.
    std::string ack;
    for (char c; (c = link.read_byte(deadline, "waiting for " + host + " to install the job's ssh key")) != '\n';) {
      if (ack.size() >= kMaxControlLine)
        throw IoError(host + " answered the job's ssh key with a line over " + std::to_string(kMaxControlLine) +
                      " bytes; refused");
      ack += c;
    }
    if (ack != "RSIMKEYOK") throw IoError(host + " did not install the job's ssh key: it says " + peer_words(ack, 200));
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

}  // namespace ringsim
