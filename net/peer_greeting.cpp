#include "net/peer_greeting.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <thread>

#include "common/errors.hpp"
#include "common/log.hpp"
#include "common/stop_signal.hpp"

namespace ringsim {

namespace {

constexpr char kMagic[4] = {'R', 'S', 'I', 'M'};
// At most this many accepted connections wait for their greeting at once
// beyond the rank's own peers (which greet as soon as they connect): a flood
// of silent connections must not take all of its descriptors.
constexpr std::size_t kMaxStrangersPending = 64;
using Clock = std::chrono::steady_clock;

std::string address_of(const sockaddr_storage& address) {
  char text[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (address.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
    ::inet_ntop(AF_INET, &v4.sin_addr, text, sizeof text);
    port = ntohs(v4.sin_port);
  } else if (address.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
    ::inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof text);
    port = ntohs(v6.sin6_port);
  }
  return std::string(text) + ":" + std::to_string(port);
}

struct Pending {
  Socket socket;
  std::string from;  // address:port
  Clock::time_point until;
  std::array<std::byte, kGreetingBytes> bytes{};
  std::size_t got = 0;
};

// Out of descriptors (a flood of connections, or a low `ulimit -n`): never
// fatal. The oldest waiting connection is dropped to free one; with none
// waiting, the connection at the head of the queue is taken with the one
// descriptor kept spare for this and dropped at once, so the queue moves on
// and the real peers behind it still get in.
template <typename Drop>
void make_room_for_accept(const Socket& listener, Socket& spare, std::vector<Pending>& pending, const Drop& drop,
                          int own_rank, bool& told) {
  const int error = errno;
  if (!told)
    log::warning("rank " + std::to_string(own_rank) + " ran out of file descriptors accepting connections (" +
                 std::strerror(error) + "): the oldest waiting connections are dropped (logged once)");
  told = true;
  if (!pending.empty()) {
    drop(pending.front(), "dropped: this rank is out of file descriptors");
    pending.erase(pending.begin());
    return;
  }
  spare = Socket();
  const int taken = ::accept4(listener.fd(), nullptr, nullptr, SOCK_CLOEXEC);
  if (taken >= 0) ::close(taken);
  spare = Socket(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  // Nothing could be freed (the descriptors are held elsewhere): wait a
  // moment instead of spinning on a listener that stays readable.
  if (taken < 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

}  // namespace

std::array<std::byte, kGreetingBytes> encode_greeting(int rank, const JobId& job) {
  std::array<std::byte, kGreetingBytes> out{};
  std::memcpy(out.data(), kMagic, 4);
  const std::int32_t value = rank;
  std::memcpy(out.data() + 4, &value, 4);
  std::memcpy(out.data() + 8, job.data(), job.size());
  return out;
}

GreetingCheck check_greeting(std::span<const std::byte, kGreetingBytes> bytes, const JobId& job, int own_rank,
                             int size) {
  if (std::memcmp(bytes.data(), kMagic, 4) != 0) return {-1, "not a ringsim greeting"};
  if (std::memcmp(bytes.data() + 8, job.data(), job.size()) != 0) return {-1, "a greeting with another job's id"};
  std::int32_t rank = 0;
  std::memcpy(&rank, bytes.data() + 4, 4);
  if (rank <= own_rank || rank >= size)
    return {-1, "a greeting from rank " + std::to_string(rank) + ", which does not connect to this rank"};
  return {rank, ""};
}

namespace {

// accept_peers' state: the connections accepted and not yet greeted, the
// peers' sockets so far, and whom it has told about what it dropped.
class GreetingWait {
 public:
  GreetingWait(const Socket& listener, int own_rank, int size, const JobId& job,
               std::chrono::milliseconds per_connection, const std::function<std::string(int)>& describe)
      : listener_(listener),
        own_rank_(own_rank),
        size_(size),
        job_(job),
        per_connection_(per_connection),
        describe_(describe),
        missing_(size - 1 - own_rank),
        max_pending_(kMaxStrangersPending + static_cast<std::size_t>(std::max(missing_, 0))),
        spare_(::open("/dev/null", O_RDONLY | O_CLOEXEC)) {  // one descriptor held back for make_room_for_accept
    result_.sockets.resize(static_cast<std::size_t>(size));
  }

  int missing() const { return missing_; }
  AcceptedPeers take_result() { return std::move(result_); }

  [[noreturn]] void time_out() const {
    std::string who;
    for (int r = own_rank_ + 1; r < size_; ++r)
      if (!result_.sockets[r].valid()) who += (who.empty() ? "" : ", ") + describe_(r);
    throw TimeoutError("no connection from " + who + " (waited for peers to connect)");
  }

  void drop_expired(Clock::time_point now) {
    for (auto& p : pending_)
      if (p.socket.valid() && now >= p.until) drop(p, "no greeting within the per-connection limit");
    std::erase_if(pending_, [](const Pending& p) { return !p.socket.valid(); });
  }

  // Waits until the listener or a waiting connection is readable, the
  // first greeting limit or `deadline`, at most 100 ms (a stop request,
  // SIGTERM, is honoured promptly); then reads what arrived and accepts one
  // new connection.
  void serve(Deadline deadline, Clock::time_point now) {
    auto wake = deadline;
    for (const auto& p : pending_) wake = std::min(wake, p.until);
    std::vector<pollfd> fds;
    fds.push_back({listener_.fd(), POLLIN, 0});
    for (const auto& p : pending_) fds.push_back({p.socket.fd(), POLLIN, 0});
    const auto wait =
        std::clamp<long>(std::chrono::duration_cast<std::chrono::milliseconds>(wake - now).count() + 1, 0, 100);
    const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(wait));
    if (ready < 0 && errno != EINTR) throw IoError(std::string("poll on the listening port: ") + std::strerror(errno));
    if (ready <= 0) return;
    for (std::size_t i = 1; i < fds.size(); ++i)
      if (fds[i].revents) read_greeting(pending_[i - 1]);
    std::erase_if(pending_, [](const Pending& p) { return !p.socket.valid(); });
    if (fds[0].revents & POLLIN) accept_next();
  }

 private:
  void drop(Pending& p, const std::string& why) {
    ++result_.ignored;
    const std::string host = p.from.substr(0, p.from.rfind(':'));
    if (told_.insert(host).second)
      log::warning("rank " + std::to_string(own_rank_) + " ignored a connection to its port from " + p.from + ": " +
                   why + " (further ones from " + host + " are dropped without a word)");
    p.socket = Socket();
  }

  // What a readable waiting connection sent: more of its greeting, a peer
  // (its socket taken), or a reason to drop it.
  void read_greeting(Pending& p) {
    const ssize_t n = ::recv(p.socket.fd(), p.bytes.data() + p.got, p.bytes.size() - p.got, MSG_DONTWAIT);
    if (n == 0) return drop(p, p.got ? "closed within its greeting" : "closed without a greeting");
    if (n < 0) {
      if (errno != EAGAIN && errno != EINTR) drop(p, std::string("read failed: ") + std::strerror(errno));
      return;
    }
    p.got += static_cast<std::size_t>(n);
    // A greeting that is not one is known from its first 4 bytes.
    if (p.got >= 4 && std::memcmp(p.bytes.data(), "RSIM", 4) != 0) return drop(p, "not a ringsim greeting");
    if (p.got < p.bytes.size()) return;
    const GreetingCheck check = check_greeting(p.bytes, job_, own_rank_, size_);
    if (!check.why.empty()) {
      drop(p, check.why);
    } else if (result_.sockets[check.rank].valid()) {
      drop(p, "a second connection claiming " + describe_(check.rank));
    } else {
      result_.sockets[check.rank] = std::move(p.socket);
      --missing_;
    }
  }

  // Room for one more: the oldest waiting connection goes first (a real
  // peer greets as soon as it connects, so the oldest is the idlest).
  void accept_next() {
    if (pending_.size() >= max_pending_) {
      drop(pending_.front(),
           "dropped to make room: " + std::to_string(max_pending_) + " connections were waiting to greet");
      pending_.erase(pending_.begin());
    }
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    Socket accepted(::accept4(listener_.fd(), reinterpret_cast<sockaddr*>(&address), &length, SOCK_CLOEXEC));
    if (accepted.valid()) {
      set_socket_options(accepted.fd());
      pending_.push_back({std::move(accepted), address_of(address), Clock::now() + per_connection_, {}, 0});
    } else if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
      make_room_for_accept(
          listener_, spare_, pending_, [this](Pending& p, const std::string& why) { drop(p, why); }, own_rank_,
          out_of_descriptors_told_);
    } else if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED) {
      throw IoError(std::string("accept on the listening port: ") + std::strerror(errno));
    }
  }

  const Socket& listener_;
  const int own_rank_, size_;
  const JobId& job_;
  const std::chrono::milliseconds per_connection_;
  const std::function<std::string(int)>& describe_;
  AcceptedPeers result_;
  int missing_;
  const std::size_t max_pending_;
  Socket spare_;
  std::vector<Pending> pending_;
  std::set<std::string> told_;  // source addresses already logged
  bool out_of_descriptors_told_ = false;
};

}  // namespace

AcceptedPeers accept_peers(const Socket& listener, int own_rank, int size, const JobId& job, Deadline deadline,
                           std::chrono::milliseconds per_connection, const std::function<std::string(int)>& describe) {
  // Never block in accept(2): a connection reset between poll and accept
  // would hold us there.
  set_nonblocking(listener.fd());
  GreetingWait wait(listener, own_rank, size, job, per_connection, describe);
  while (wait.missing() > 0) {
    throw_if_stopped();
    const auto now = Clock::now();
    if (now >= deadline) wait.time_out();
    // Expired greetings first.
    wait.drop_expired(now);
    wait.serve(deadline, now);
  }
  return wait.take_result();
}

}  // namespace ringsim
