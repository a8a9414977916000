#include "launcher/launch_settings.hpp"

#include <cmath>
#include <functional>

#include "common/errors.hpp"

namespace ringsim {

namespace {

std::int64_t parse_integer(const std::string& key, const std::string& value, std::int64_t minimum) {
  std::size_t used = 0;
  std::int64_t number = 0;
  try {
    number = std::stoll(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != value.size() || number < minimum)
    throw ConfigError("hyperparameter '" + key + "' must be an integer >= " + std::to_string(minimum) + ", got '" +
                      value + "'");
  return number;
}

double parse_number(const std::string& key, const std::string& value) {
  std::size_t used = 0;
  double number = 0;
  try {
    number = std::stod(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != value.size() || !std::isfinite(number))
    throw ConfigError("hyperparameter '" + key + "' must be a number, got '" + value + "'");
  return number;
}

std::string one_of(const std::string& key, const std::string& value, std::initializer_list<const char*> allowed) {
  std::string list;
  for (const char* option : allowed) {
    if (value == option) return value;
    list += (list.empty() ? "" : ", ") + std::string(option);
  }
  throw ConfigError("hyperparameter '" + key + "' must be one of " + list + ", got '" + value + "'");
}

}  // namespace

LaunchSettings parse_launch_settings(const std::map<std::string, std::string>& hyperparameters) {
  LaunchSettings s;
  const std::map<std::string, std::function<void(const std::string&, const std::string&)>> handlers = {
      {"mode",
       [&](auto& k, auto& v) {
         s.mode = one_of(k, v, {"topk", "full", "threshold"});
       }},
      {"k", [&](auto& k, auto& v) { s.k = static_cast<int>(parse_integer(k, v, 1)); }},
      {"threshold", [&](auto& k, auto& v) { s.threshold = parse_number(k, v); }},
      {"transport",
       [&](auto& k, auto& v) {
         s.transport = one_of(k, v, {"mpi", "tcp", "tls"});
       }},
      {"dtype",
       [&](auto& k, auto& v) {
         s.dtype = one_of(k, v, {"float32", "float64"});
       }},
      {"processes_per_host",
       [&](auto& k, auto& v) { s.processes_per_host = static_cast<int>(parse_integer(k, v, 1)); }},
      {"channel", [&](auto&, auto& v) { s.channel = v; }},
      {"tile", [&](auto& k, auto& v) { s.tile = parse_integer(k, v, 1); }},
      {"timeout", [&](auto& k, auto& v) { s.timeout_seconds = parse_number(k, v); }},
      {"max_full_bytes", [&](auto& k, auto& v) { s.max_full_bytes = parse_integer(k, v, 1); }},
      {"mpi_options", [&](auto&, auto& v) { s.mpi_options = v; }},
      {"tls_ciphersuites", [&](auto&, auto& v) { s.tls_ciphersuites = v; }},
      {"tls_crypto",
       [&](auto& k, auto& v) {
         s.tls_crypto = one_of(k, v, {"auto", "openssl"});
       }},
      {"tls_channel", [&](auto&, auto& v) { s.tls_channel = v; }},
      {"wait_seconds", [&](auto& k, auto& v) { s.wait_seconds = parse_number(k, v); }},
      {"control_port", [&](auto& k, auto& v) { s.control_port = static_cast<int>(parse_integer(k, v, 1)); }},
  };
  for (const auto& [key, value] : hyperparameters) {
    if (key.rfind("sagemaker_", 0) == 0 || key.rfind("_tuning", 0) == 0) continue;  // SageMaker's own
    const auto handler = handlers.find(key);
    if (handler == handlers.end()) {
      std::string known;
      for (const auto& [name, unused] : handlers) known += (known.empty() ? "" : ", ") + name;
      throw ConfigError("unknown hyperparameter '" + key + "' (known: " + known + ")");
    }
    handler->second(key, value);
  }
  if (s.wait_seconds <= 0) throw ConfigError("hyperparameter 'wait_seconds' must be > 0");
  if (s.timeout_seconds <= 0) throw ConfigError("hyperparameter 'timeout' must be > 0");
  return s;
}

}  // namespace ringsim
