#include "launcher/control_channel.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

#include "common/errors.hpp"
#include "common/log.hpp"
#include "common/stop_signal.hpp"
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

void wait_for_port(const Endpoint& where, Deadline deadline, const std::string& what) {
  try {
    Socket probe = connect_to(where, deadline);
  } catch (const Error& e) {
    throw TimeoutError(what + " never became reachable: " + e.what());
  }
}

void LeaderChannel::connect(const std::vector<std::pair<std::string, Endpoint>>& workers, Deadline deadline,
                            const TlsContext* tls) {
  // Round after round, each worker not yet connected gets a short try, so
  // that one late worker does not keep the leader from connecting to the
  // others: they must be there to hear why the job failed.
  std::vector<std::pair<std::string, Endpoint>> pending = workers;
  std::string last_error;
  while (!pending.empty()) {
    const auto round_end = std::min(deadline, std::chrono::steady_clock::now() + std::chrono::seconds(2));
    for (auto it = pending.begin(); it != pending.end();) {
      try {
        Endpoint numeric = it->second;
        numeric.address = resolve_host(it->second.address, round_end);
        Socket socket = connect_to(numeric, round_end);
        enable_keepalive(socket.fd());
        if (tls) {
          auto session = std::make_unique<BlockingTls>(std::move(socket), *tls, /*server=*/false, it->first,
                                                       "worker " + it->first + " (control port)", round_end);
          workers_.emplace_back(it->first, ControlLink(Socket(), std::move(session)));
        } else {
          workers_.emplace_back(it->first, ControlLink(std::move(socket), nullptr));
        }
        it = pending.erase(it);
      } catch (const Error& e) {
        last_error = e.what();
        ++it;
      }
    }
    if (!pending.empty() && std::chrono::steady_clock::now() >= deadline) {
      std::string hosts;
      for (const auto& [host, endpoint] : pending)
        hosts += (hosts.empty() ? "" : ", ") + host + " (" + endpoint.to_string() + ")";
      throw TimeoutError("worker(s) " + hosts +
                         " never opened the control port within the wait_seconds bound: " + last_error);
    }
    throw_if_stopped();
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
void authorize_key(const std::string& path, const std::string& key) {
  if (key.find_first_of("\r\n") != std::string::npos || key.rfind("ssh-ed25519 ", 0) != 0)
    throw IoError("the leader sent a malformed ssh key");
  const std::filesystem::path file(path);
  std::filesystem::create_directories(file.parent_path());
  std::filesystem::permissions(file.parent_path(), std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace);
  std::ofstream out(file, std::ios::app);
  out << key << "\n";
  if (!out) throw IoError("cannot add the job's ssh key to " + path);
  out.close();
  std::filesystem::permissions(file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::replace);
}

}  // namespace

JobOutcome WorkerChannel::await_outcome(Deadline connect_deadline, const std::string& leader, const TlsContext* tls,
                                        const std::string& authorized_keys) {
  std::optional<ControlLink> link;
  while (!link) {
    Socket connection;
    try {
      connection = accept_one(listener_, connect_deadline);
    } catch (const TimeoutError&) {
      throw TimeoutError("the leader " + leader + " never connected to this worker" +
                         (tls ? " with its certificate" : ""));
    }
    enable_keepalive(connection.fd());
    if (!tls) {
      link.emplace(std::move(connection), nullptr);
      break;
    }
    try {
      const auto handshake_deadline =
          std::min(connect_deadline, std::chrono::steady_clock::now() + std::chrono::seconds(10));
      link.emplace(Socket(),
                   std::make_unique<BlockingTls>(std::move(connection), *tls, /*server=*/true, leader,
                                                 "the leader " + leader + " (control port)", handshake_deadline));
    } catch (const Error& e) {
      // Not the leader (or not yet able to prove it): keep listening.
      log::warning(std::string("refused a control connection: ") + e.what());
    }
  }
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
      line += c;
      continue;
    }
    if (line.rfind("RSIMKEY ", 0) != 0) break;
    if (authorized_keys.empty()) throw IoError("the leader sent an ssh key but this worker takes none");
    authorize_key(authorized_keys, line.substr(8));
    link->write_all("RSIMKEYOK\n", std::chrono::steady_clock::now() + std::chrono::seconds(10), "answering the leader");
    line.clear();
  }
  if (line.rfind("RSIMEXIT ", 0) != 0) throw IoError("the leader " + leader + " sent an unknown message");
  JobOutcome outcome;
  const auto space = line.find(' ', 9);
  outcome.exit_code = std::stoi(line.substr(9, space - 9));
  outcome.reason = space == std::string::npos ? "" : line.substr(space + 1);
  return outcome;
}

}  // namespace ringsim
