#pragma once
// The TLS handshakes of the control connections a worker accepts, each on a
// thread of its own with its own short time limit: a connection that stays
// silent, or a stranger's slow handshake, does not hold up the leader's.
// At most kMaxHandshakes run at once; beyond that, new connections are closed
// at once (the leader retries with back-off).
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/socket.hpp"
#include "launcher/control_channel.hpp"

namespace ringsim {

class TlsContext;

class ControlHandshakes {
 public:
  static constexpr int kMaxHandshakes = 16;
  static constexpr auto kHandshakeLimit = std::chrono::seconds(5);

  struct Result {
    std::string from;                       // the peer's numeric address
    bool from_leader = false;               // from the leader's address
    std::optional<ControlLink> link;        // the handshake completed
    std::optional<std::string> plain_fail;  // the leader's plaintext RSIMFAIL reason (it cannot take part)
    std::string error;                      // else why the handshake failed
  };

  // `leader_name`: how errors name the peer; the TLS check expects it.
  ControlHandshakes(const TlsContext& tls, std::string leader_name);
  // Stops the handshakes still running (their sockets are shut down) and
  // waits for their threads.
  ~ControlHandshakes();
  ControlHandshakes(const ControlHandshakes&) = delete;
  ControlHandshakes& operator=(const ControlHandshakes&) = delete;

  // Starts the handshake of `connection` (from `from`), ending by
  // `deadline` at the latest. False when kMaxHandshakes already run: the
  // connection is closed.
  bool start(Socket connection, const std::string& from, bool from_leader, Deadline deadline);
  // The next finished handshake, if one finished.
  std::optional<Result> next();

 private:
  struct Running {
    Socket cancel;  // a dup of the connection: shutdown() on it ends the handshake
    std::thread thread;
    bool done = false;
  };
  const TlsContext& tls_;
  const std::string leader_name_;
  std::mutex mutex_;
  std::deque<Result> finished_;
  std::vector<std::shared_ptr<Running>> running_;
};

}  // namespace ringsim
