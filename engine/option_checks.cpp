#include "engine/option_checks.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cmath>

#include "common/errors.hpp"
#include "common/socket.hpp"

namespace ringsim {

bool looks_like_url(const std::string& path) {
  // RFC 3986 scheme: a letter, then letters, digits, '+', '-', '.'.
  const auto colon = path.find("://");
  if (colon == std::string::npos || colon == 0 || !std::isalpha(static_cast<unsigned char>(path[0]))) return false;
  for (std::size_t i = 1; i < colon; ++i) {
    const auto c = static_cast<unsigned char>(path[i]);
    if (!std::isalnum(c) && c != '+' && c != '-' && c != '.') return false;
  }
  return true;
}

namespace {

void refuse_url(const std::string& option, const std::string& path, const std::string& sagemaker_hint) {
  if (looks_like_url(path))
    throw InputError(option + " '" + path + "' is a URL; ringsim reads and writes local paths only (on SageMaker " +
                     sagemaker_hint + ")");
}

}  // namespace

void check_run_options(const RunOptions& options) {
  refuse_url("--input", options.input, "give the data as an input channel and --input its folder");
  refuse_url("--out", options.out_dir, "write to the model folder, /opt/ml/model, which SageMaker uploads");
  if (options.mode.k < 1 || options.mode.k > kMaxK)
    throw InputError(fmt::format("--k must be >= 1 and at most {}, got {}", kMaxK, options.mode.k));
  if (options.tile.rows < 1 || options.tile.cols < 1 || options.tile.rows > kMaxTile || options.tile.cols > kMaxTile)
    throw InputError(fmt::format("--tile must be between 1 and {}, got {}", kMaxTile, options.tile.rows));
  // Written so that NaN fails too (every comparison with NaN is false).
  if (!(options.timeout_seconds >= kMinTimeoutSeconds && options.timeout_seconds <= kMaxTimeoutSeconds))
    throw InputError(fmt::format("--timeout must be between {} and {:g} seconds, got {}", kMinTimeoutSeconds,
                                 kMaxTimeoutSeconds, options.timeout_seconds));
  if (!options.transport.bind.empty()) split_host_port(options.transport.bind, "--bind");
  if (!options.transport.advertise.empty() && !split_host_port(options.transport.advertise, "--advertise").port)
    throw InputError("--advertise '" + options.transport.advertise + "': expected ADDR:PORT");
}

}  // namespace ringsim
