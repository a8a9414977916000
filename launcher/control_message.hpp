#pragma once
// The lines the leader's launcher sends a worker's over the control channel,
// parsed strictly: whatever else arrives (an unknown word, a number that is
// not one, an exit code out of range, a line over the cap) is refused with
// the reason, never acted on.
//
//   RSIMKEY ssh-ed25519 <base64> [comment]   install the job's ssh key
//   RSIMEXIT <code> [reason]                 the job ended: code 0..255
#include <cstddef>
#include <string>
#include <variant>

namespace ringsim {

// Longer lines are refused (a worker reads no more than this per line).
constexpr std::size_t kMaxControlLine = 4096;

struct InstallKey {
  std::string public_key;  // "ssh-ed25519 AAAA... comment"
};
struct JobEnded {
  int exit_code = 0;  // 0..255; 0: the job succeeded
  std::string reason;
};
using ControlMessage = std::variant<InstallKey, JobEnded>;

// Parses one line (without its '\n'); throws IoError naming what is wrong.
ControlMessage parse_control_message(const std::string& line);

}  // namespace ringsim
