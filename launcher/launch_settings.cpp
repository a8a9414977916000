#include "launcher/launch_settings.hpp"

#include <array>
#include <charconv>
#include <fstream>
#include <functional>
#include <limits>
#include <span>
#include <string_view>

#include "common/errors.hpp"
#include "common/log.hpp"
#include "launcher/sagemaker_config.hpp"

namespace ringsim {

namespace {

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

// Text -> value as ringsim run's options parse it (common/job_config.hpp),
// the error naming the hyperparameter.
template <class Value>
Value parse_as(const std::string& key, const std::string& value) {
  Value parsed{};
  try {
    parse_option(value, parsed, "hyperparameter '" + key + "'");
  } catch (const InputError& e) {
    throw ConfigError(e.what());
  }
  return parsed;
}

double parse_seconds(const std::string& key, const std::string& value) {
  const auto seconds = parse_as<double>(key, value);
  if (!(seconds > 0) || seconds > 7 * 24 * 3600.0)
    throw ConfigError("hyperparameter '" + key + "' must be seconds in (0, 604800], got '" + value + "'");
  return seconds;
}

std::string one_of(const std::string& key, const std::string& value, std::span<const std::string_view> allowed) {
  int index = 0;
  try {
    parse_choice(value, allowed, index, "hyperparameter '" + key + "'");
  } catch (const InputError& e) {
    throw ConfigError(e.what());
  }
  return value;
}

constexpr std::array<std::string_view, 2> kTlsTrust = {"job-ca", "launch-channel-fingerprints"};

}  // namespace

std::vector<LaunchSetting> launch_setting_table(LaunchSettings& s) {
  const auto per_host = [](const std::string& k, const std::string& v) {
    return static_cast<int>(parse_integer(k, v, 1, kMaxProcessesPerHost));
  };
  return {
      {{"processes_per_host", "physical cores",
        "ranks per host, 1 to 4096; by default one per physical core the container may use (not per vCPU), or "
        "with `device=cuda` one per GPU it sees"},
       [&s, per_host](auto& k, auto& v) { s.processes_per_host = per_host(k, v); }},
      {{"channel", "`train`", "the input channel"}, [&s](auto&, auto& v) { s.channel = v; }},
      {{"tls_channel", "",
        "a channel holding `ca.pem`, `HOST.pem`, `HOST.key` (`ringsim certs`): the certificates of "
        "`transport=tls` and of the control channel"},
       [&s](auto&, auto& v) { s.tls_channel = v; }},
      {{"job_secret_channel", "",
        "a channel holding the job secret as the file `job_secret` (32 or more characters, "
        "`secrets.token_hex(32)`): authenticates the control channel when there is no `tls_channel`, and keys "
        "checkpoint files"},
       [&s](auto&, auto& v) { s.job_secret_channel = v; }},
      {{"job_secret", "",
        "deprecated, read with a warning: hyperparameters are shown in the console, `DescribeTrainingJob` and "
        "CloudTrail; use `job_secret_channel` or `tls_channel`"},
       [&s](auto&, auto& v) { s.job_secret = v; }},
      {{"insecure_unauthenticated_control", "`false`",
        "`true`: a job of several hosts without `tls_channel` or a job secret runs its control channel over "
        "plain TCP"},
       [&s](auto& k, auto& v) { s.insecure_unauthenticated_control = parse_as<bool>(k, v); }},
      {{"mpi_options", "",
        "extra mpirun options; each replaces a default with the same key (`-mca NAME`, `-x VAR`, `--bind-to` ...)"},
       [&s](auto&, auto& v) { s.mpi_options = v; }},
      {{"tls_trust", "`job-ca`",
        "`job-ca`: `transport=tls` needs `tls_channel`; `launch-channel-fingerprints`: ephemeral certificates "
        "pinned through the launch channel (docs/security.md)"},
       [&s](auto& k, auto& v) { s.tls_trust = one_of(k, v, kTlsTrust); }},
      {{"log_level", "`info`", "the ranks' `--log-level`: `debug`, `info`, `warning` or `error`"},
       [&s](auto& k, auto& v) { s.log_level = one_of(k, v, log::level_names()); }},
      {{"wait_seconds", "1800", "how long the leader and the workers wait for each other to appear"},
       [&s](auto& k, auto& v) { s.wait_seconds = parse_seconds(k, v); }},
      {{"abort_grace_seconds", "30",
        "once the log shows a failure, how long mpirun may take to end the job before the launcher ends it"},
       [&s](auto& k, auto& v) { s.abort_grace_seconds = parse_seconds(k, v); }},
      {{"control_port", "7177", "the leader -> worker control channel"},
       [&s](auto& k, auto& v) { s.control_port = static_cast<int>(parse_integer(k, v, 1, 65535)); }},
  };
}

std::string launch_settings_markdown() {
  LaunchSettings unused;
  std::string text = "| name | default | |\n|---|---|---|\n";
  for (const auto& setting : launch_setting_table(unused))
    text += "| `" + std::string(setting.info.name) + "` | " + std::string(setting.info.default_text) + " | " +
            std::string(setting.info.help) + " |\n";
  return text;
}

namespace {

// What the toolkit's MPI conventions (sagemaker-training-toolkit's MPI
// runner) said, folded into the settings once every key is read.
struct ToolkitMpi {
  std::string options;  // sagemaker_mpi_custom_mpi_options
  int per_host = 0;     // sagemaker_mpi_num_of_processes_per_host
};

using Handlers = std::map<std::string, std::function<void(const std::string&, const std::string&)>>;

// The launcher's own keys and the toolkit's, by name.
Handlers setting_handlers(LaunchSettings& s, ToolkitMpi& toolkit) {
  Handlers handlers;
  for (auto& setting : launch_setting_table(s)) handlers.emplace(setting.info.name, std::move(setting.apply));
  handlers.emplace("sagemaker_mpi_enabled", [](auto& k, auto& v) {
    if (!parse_as<bool>(k, v))
      throw ConfigError(
          "hyperparameter 'sagemaker_mpi_enabled' is false, but ringsim always runs its ranks "
          "with mpirun: remove it or set it to true");
  });
  handlers.emplace("sagemaker_mpi_num_of_processes_per_host", [&toolkit](auto& k, auto& v) {
    toolkit.per_host = static_cast<int>(parse_integer(k, v, 1, kMaxProcessesPerHost));
  });
  handlers.emplace("sagemaker_mpi_custom_mpi_options", [&toolkit](auto&, auto& v) { toolkit.options = v; });
  return handlers;
}

// One hyperparameter: a job option (kept as its flag for the ranks' command
// line), one of `handlers`, SageMaker's or the SDK's own key (ignored), or
// unknown (ConfigError naming the known ones).
void apply_hyperparameter(const std::string& key, const std::string& value, LaunchSettings& s,
                          const Handlers& handlers) {
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
    return;
  }
  const auto handler = handlers.find(key);
  if (handler != handlers.end()) {
    handler->second(key, value);
    return;
  }
  // SageMaker's and the SDK's own keys (sagemaker_program, sagemaker_region, _tuning_objective_metric ...).
  if (key.rfind("sagemaker_", 0) == 0 || key.rfind("_tuning", 0) == 0) return;
  std::string known;
  for (const auto& name : hyperparameter_names()) known += (known.empty() ? "" : ", ") + name;
  for (const auto& [name, unused] : handlers)
    if (name.rfind("sagemaker_", 0) != 0) known += (known.empty() ? "" : ", ") + name;
  throw ConfigError("unknown hyperparameter '" + key + "' (known: " + known +
                    "; and the toolkit's sagemaker_mpi_enabled, sagemaker_mpi_num_of_processes_per_host, "
                    "sagemaker_mpi_custom_mpi_options)");
}

// The settings that only make sense together: the TLS trust and the job
// secret's source.
void check_credentials_settings(const LaunchSettings& s) {
  // Without a certificate channel the ranks could only pin self-signed
  // certificates whose fingerprints cross the MPI launch channel, which is
  // neither encrypted nor authenticated: an active attacker on the network
  // could swap them. That must be asked for by name, never fallen into.
  if (s.job.transport == TransportKind::tls && s.tls_channel.empty() && s.tls_trust != "launch-channel-fingerprints")
    throw ConfigError(
        "transport=tls needs the job's certificates: run `ringsim certs --out certs --hosts algo-1..N` (N: the "
        "instance count), "
        "upload the folder to S3, add it as a FullyReplicated input channel (e.g. 'certs') and set the "
        "hyperparameter tls_channel=certs; or set tls_trust=launch-channel-fingerprints to accept self-signed "
        "certificates pinned through the unauthenticated launch channel (see docs/security.md)");
  if (!s.tls_channel.empty() && s.tls_trust == "launch-channel-fingerprints")
    throw ConfigError(
        "hyperparameters tls_channel and tls_trust=launch-channel-fingerprints contradict each other: "
        "give one");
  if (!s.job_secret.empty() && !s.job_secret_channel.empty())
    throw ConfigError(
        "hyperparameters job_secret (deprecated) and job_secret_channel both give the job secret: drop job_secret");
  if (!s.job_secret.empty() && s.job_secret.size() < 32)
    throw ConfigError(
        "hyperparameter 'job_secret' has " + std::to_string(s.job_secret.size()) +
        " characters; it needs at least 32, and belongs in a channel: " + std::string(kJobSecretChannelAdvice));
}

}  // namespace

LaunchSettings parse_launch_settings(const std::map<std::string, std::string>& hyperparameters) {
  LaunchSettings s;
  ToolkitMpi toolkit;
  const Handlers handlers = setting_handlers(s, toolkit);
  for (const auto& [key, value] : hyperparameters) apply_hyperparameter(key, value, s, handlers);
  try {
    check_job_config(s.job, OptionNaming::hyperparameters);
  } catch (const InputError& e) {
    throw ConfigError(e.what());
  }
  if (toolkit.per_host > 0) {
    if (s.processes_per_host > 0 && s.processes_per_host != toolkit.per_host)
      throw ConfigError("hyperparameters 'processes_per_host' (" + std::to_string(s.processes_per_host) +
                        ") and 'sagemaker_mpi_num_of_processes_per_host' (" + std::to_string(toolkit.per_host) +
                        ") disagree: give one of them");
    s.processes_per_host = toolkit.per_host;
  }
  check_credentials_settings(s);
  if (!s.job_secret.empty()) log::warning(job_secret_deprecation());
  // Both are the user's: the toolkit's first, so mpi_options has the last word.
  if (!toolkit.options.empty())
    s.mpi_options = s.mpi_options.empty() ? toolkit.options : toolkit.options + " " + s.mpi_options;
  return s;
}

std::string job_secret_deprecation() {
  return "hyperparameter job_secret is deprecated and will be removed: SageMaker shows hyperparameters in the "
         "console, in DescribeTrainingJob and in CloudTrail, and AWS says to keep secrets out of them. Instead, " +
         std::string(kJobSecretChannelAdvice);
}

std::string read_job_secret(const LaunchSettings& settings, const std::string& ml_root) {
  if (settings.job_secret_channel.empty()) return settings.job_secret;
  const std::string path = channel_dir(ml_root, settings.job_secret_channel) + "/job_secret";
  std::ifstream in(path);
  if (!in)
    throw ConfigError("the job secret " + path + " (job_secret_channel=" + settings.job_secret_channel +
                      ") cannot be read");
  std::string secret((std::istreambuf_iterator<char>(in)), {});
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  if (secret.size() < 32)
    throw ConfigError(path + " holds " + std::to_string(secret.size()) +
                      " characters; a job secret needs at least 32 (make one with: python3 -c 'import secrets; "
                      "print(secrets.token_hex(32))')");
  return secret;
}

}  // namespace ringsim
