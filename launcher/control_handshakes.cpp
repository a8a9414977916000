#include "launcher/control_handshakes.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "common/errors.hpp"
#include "common/peer_text.hpp"
#include "net/blocking_tls.hpp"

namespace ringsim {

ControlHandshakes::ControlHandshakes(const TlsContext& tls, std::string leader_name)
    : tls_(tls), leader_name_(std::move(leader_name)) {}

ControlHandshakes::~ControlHandshakes() {
  std::vector<std::shared_ptr<Running>> running;
  {
    std::lock_guard lock(mutex_);
    running = running_;
    for (const auto& r : running)
      if (!r->done) ::shutdown(r->cancel.fd(), SHUT_RDWR);
  }
  for (const auto& r : running) r->thread.join();
}

bool ControlHandshakes::start(Socket connection, const std::string& from, bool from_leader, Deadline deadline) {
  std::lock_guard lock(mutex_);
  // Threads of finished handshakes are joined here, on the caller's thread.
  std::erase_if(running_, [](const std::shared_ptr<Running>& r) {
    if (!r->done) return false;
    r->thread.join();
    return true;
  });
  if (static_cast<int>(running_.size()) >= kMaxHandshakes) return false;
  auto running = std::make_shared<Running>();
  running->cancel = Socket(::dup(connection.fd()));
  if (!running->cancel.valid()) return false;
  const auto limit = std::min(deadline, std::chrono::steady_clock::now() + kHandshakeLimit);
  running->thread = std::thread([this, running, from, from_leader, limit, socket = std::move(connection)]() mutable {
    Result result{from, from_leader, std::nullopt, std::nullopt, ""};
    try {
      // A leader that cannot use its own credentials says so in plaintext.
      if (from_leader && peek_byte(socket.fd(), limit, "the leader's first bytes") == std::byte{'R'}) {
        const std::string line = read_plain_line(socket.fd(), limit, "the leader's refusal");
        // The leader's words, unauthenticated: one printable line, quoted.
        if (line.rfind("RSIMFAIL ", 0) == 0) result.plain_fail = "the leader says " + peer_words(line.substr(9), 1000);
      }
      if (!result.plain_fail)
        result.link.emplace(Socket(),
                            std::make_unique<BlockingTls>(std::move(socket), tls_, /*server=*/true, leader_name_,
                                                          "the leader " + leader_name_ + " (control port)", limit));
    } catch (const Error& e) {
      result.error = e.what();
    } catch (const std::exception& e) {
      result.error = std::string("handshake failed: ") + e.what();
    }
    std::lock_guard lock(mutex_);
    finished_.push_back(std::move(result));
    running->done = true;
  });
  running_.push_back(std::move(running));
  return true;
}

std::optional<ControlHandshakes::Result> ControlHandshakes::next() {
  std::lock_guard lock(mutex_);
  if (finished_.empty()) return std::nullopt;
  Result result = std::move(finished_.front());
  finished_.pop_front();
  return result;
}

}  // namespace ringsim
