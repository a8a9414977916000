#include "launcher/launch_settings.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <limits>

#include "common/errors.hpp"

namespace ringsim {

namespace {

constexpr std::int64_t kIntMax = std::numeric_limits<int>::max();

// Whole text must be a decimal integer within [minimum, maximum]; out of
// range is refused, never wrapped ("4294967306" is not 10).
std::int64_t parse_integer(const std::string& key, const std::string& value, std::int64_t minimum,
                           std::int64_t maximum) {
  std::int64_t number = 0;
  const char* begin = value.data();
  const char* end = value.data() + value.size();
  if (begin != end && *begin == '+') ++begin;  // from_chars refuses a plus sign; JSON users write none
  const auto [rest, error] = std::from_chars(begin, end, number);
  const std::string range = maximum == std::numeric_limits<std::int64_t>::max()
                                ? ">= " + std::to_string(minimum)
                                : "from " + std::to_string(minimum) + " to " + std::to_string(maximum);
  if (begin == end || rest != end || error == std::errc::invalid_argument)
    throw ConfigError("hyperparameter '" + key + "' must be an integer " + range + ", got '" + value + "'");
  if (error == std::errc::result_out_of_range || number < minimum || number > maximum)
    throw ConfigError("hyperparameter '" + key + "' is out of range: must be an integer " + range + ", got '" + value +
                      "'");
  return number;
}

double parse_number(const std::string& key, const std::string& value) {
  // strtod skips leading blanks; the whole text must be the number.
  if (value.empty() || std::isspace(static_cast<unsigned char>(value.front())))
    throw ConfigError("hyperparameter '" + key + "' must be a finite number, got '" + value + "'");
  char* end = nullptr;
  const double number = std::strtod(value.c_str(), &end);
  if (end != value.c_str() + value.size() || !std::isfinite(number))
    throw ConfigError("hyperparameter '" + key + "' must be a finite number, got '" + value + "'");
  return number;
}

double parse_seconds(const std::string& key, const std::string& value) {
  const double seconds = parse_number(key, value);
  if (!(seconds > 0) || seconds > 7 * 24 * 3600.0)
    throw ConfigError("hyperparameter '" + key + "' must be seconds in (0, 604800], got '" + value + "'");
  return seconds;
}

bool parse_bool(const std::string& key, const std::string& value) {
  if (value == "true" || value == "True" || value == "1") return true;
  if (value == "false" || value == "False" || value == "0") return false;
  throw ConfigError("hyperparameter '" + key + "' must be true or false, got '" + value + "'");
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
  std::string toolkit_options;
  int toolkit_per_host = 0;
  const auto per_host = [](const std::string& k, const std::string& v) {
    return static_cast<int>(parse_integer(k, v, 1, kMaxProcessesPerHost));
  };
  const std::map<std::string, std::function<void(const std::string&, const std::string&)>> handlers = {
      {"processes_per_host", [&](auto& k, auto& v) { s.processes_per_host = per_host(k, v); }},
      {"channel", [&](auto&, auto& v) { s.channel = v; }},
      {"mpi_options", [&](auto&, auto& v) { s.mpi_options = v; }},
      {"tls_channel", [&](auto&, auto& v) { s.tls_channel = v; }},
      {"log_level",
       [&](auto& k, auto& v) {
         s.log_level = one_of(k, v, {"debug", "info", "warning", "error"});
       }},
      {"tls_trust",
       [&](auto& k, auto& v) {
         s.tls_trust = one_of(k, v, {"job-ca", "launch-channel-fingerprints"});
       }},
      {"wait_seconds", [&](auto& k, auto& v) { s.wait_seconds = parse_seconds(k, v); }},
      {"abort_grace_seconds", [&](auto& k, auto& v) { s.abort_grace_seconds = parse_seconds(k, v); }},
      {"control_port", [&](auto& k, auto& v) { s.control_port = static_cast<int>(parse_integer(k, v, 1, 65535)); }},
      // The toolkit's MPI conventions (sagemaker-training-toolkit's MPI runner).
      {"sagemaker_mpi_enabled",
       [&](auto& k, auto& v) {
         if (!parse_bool(k, v))
           throw ConfigError(
               "hyperparameter 'sagemaker_mpi_enabled' is false, but ringsim always runs its ranks "
               "with mpirun: remove it or set it to true");
       }},
      {"sagemaker_mpi_num_of_processes_per_host", [&](auto& k, auto& v) { toolkit_per_host = per_host(k, v); }},
      {"sagemaker_mpi_custom_mpi_options", [&](auto&, auto& v) { toolkit_options = v; }},
  };
  for (const auto& [key, value] : hyperparameters) {
    std::string job_flag;
    try {
      job_flag = set_hyperparameter(s.job, key, value);
    } catch (const InputError& e) {
      throw ConfigError(e.what());
    }
    if (!job_flag.empty()) {
      for (const auto& [flag, unused] : s.job_arguments)
        if (flag == job_flag)  // max_output_bytes and its earlier name max_full_bytes
          throw ConfigError("hyperparameter '" + key + "' sets " + job_flag +
                            ", which another key already set: give one");
      s.job_arguments.emplace_back(job_flag, value);
      continue;
    }
    const auto handler = handlers.find(key);
    if (handler == handlers.end()) {
      // SageMaker's and the SDK's own keys (sagemaker_program, sagemaker_region, _tuning_objective_metric ...).
      if (key.rfind("sagemaker_", 0) == 0 || key.rfind("_tuning", 0) == 0) continue;
      std::string known;
      for (const auto& name : hyperparameter_names()) known += (known.empty() ? "" : ", ") + name;
      for (const auto& [name, unused] : handlers)
        if (name.rfind("sagemaker_", 0) != 0) known += (known.empty() ? "" : ", ") + name;
      throw ConfigError("unknown hyperparameter '" + key + "' (known: " + known +
                        "; and the toolkit's sagemaker_mpi_enabled, sagemaker_mpi_num_of_processes_per_host, "
                        "sagemaker_mpi_custom_mpi_options)");
    }
    handler->second(key, value);
  }
  try {
    check_job_config(s.job, OptionNaming::hyperparameters);
  } catch (const InputError& e) {
    throw ConfigError(e.what());
  }
  if (toolkit_per_host > 0) {
    if (s.processes_per_host > 0 && s.processes_per_host != toolkit_per_host)
      throw ConfigError("hyperparameters 'processes_per_host' (" + std::to_string(s.processes_per_host) +
                        ") and 'sagemaker_mpi_num_of_processes_per_host' (" + std::to_string(toolkit_per_host) +
                        ") disagree: give one of them");
    s.processes_per_host = toolkit_per_host;
  }
  // Without a certificate channel the ranks could only pin self-signed
  // certificates whose fingerprints cross the MPI launch channel, which is
  // neither encrypted nor authenticated: an active attacker on the network
  // could swap them. That must be asked for by name, never fallen into.
  if (s.job.transport == TransportKind::tls && s.tls_channel.empty() && s.tls_trust != "launch-channel-fingerprints")
    throw ConfigError(
        "transport=tls needs the job's certificates: run `ringsim certs --out certs --hosts algo-1,...,algo-N`, "
        "upload the folder to S3, add it as a FullyReplicated input channel (e.g. 'certs') and set the "
        "hyperparameter tls_channel=certs; or set tls_trust=launch-channel-fingerprints to accept self-signed "
        "certificates pinned through the unauthenticated launch channel (see docs/security.md)");
  if (!s.tls_channel.empty() && s.tls_trust == "launch-channel-fingerprints")
    throw ConfigError(
        "hyperparameters tls_channel and tls_trust=launch-channel-fingerprints contradict each other: "
        "give one");
  // Both are the user's: the toolkit's first, so mpi_options has the last word.
  if (!toolkit_options.empty())
    s.mpi_options = s.mpi_options.empty() ? toolkit_options : toolkit_options + " " + s.mpi_options;
  return s;
}

}  // namespace ringsim
