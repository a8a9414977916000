// One control-channel line, as a stranger on the control port sends it: the
// parser refuses (IoError) or returns an exit code in 0..255, or a key that
// is one ed25519 key on one printable line.
#include <cctype>
#include <cstdint>
#include <string>
#include <variant>

#include "common/errors.hpp"
#include "fuzz/fuzz_support.hpp"
#include "launcher/control_message.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string line(reinterpret_cast<const char*>(data), size);
  try {
    const auto message = ringsim::parse_control_message(line);
    if (const auto* ended = std::get_if<ringsim::JobEnded>(&message)) {
      if (ended->exit_code < 0 || ended->exit_code > 255) ringsim::fuzz::violated("an exit code outside 0..255");
    } else {
      const auto& key = std::get<ringsim::InstallKey>(message).public_key;
      if (key.rfind("ssh-ed25519 ", 0) != 0) ringsim::fuzz::violated("a key of another type");
      for (const char c : key)
        if (!std::isprint(static_cast<unsigned char>(c))) ringsim::fuzz::violated("a key line with control bytes");
    }
    if (line.size() > ringsim::kMaxControlLine) ringsim::fuzz::violated("an over-long line accepted");
  } catch (const ringsim::IoError&) {
  }
  return 0;
}
