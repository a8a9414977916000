#pragma once
// Hyperparameters -> the options of the job. Every key is checked: an
// unknown or ill-typed one is a ConfigError naming it. SageMaker's own
// "sagemaker_*" keys are ignored, except the toolkit's MPI ones, which mean
// what they mean there (see parse_launch_settings).
//
// The job's own options (mode, k, transport, ...) are the table of
// common/job_config.hpp, parsed and range-checked by the same code as
// `ringsim run`'s flags; the rest below are the launcher's. A job option is
// passed on to the ranks as the text the user gave, after checking it: the
// rank command passes "0.99999995" on as "0.99999995", not as a float
// printed back with six decimals.
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/job_config.hpp"

namespace ringsim {

struct LaunchSettings {
  JobConfig job;  // the job options the user set, typed (the others keep their defaults)
  // The same, as `ringsim run` flags with the user's text, in key order.
  std::vector<std::pair<std::string, std::string>> job_arguments;
  int processes_per_host = 0;  // 0: the host's CPU count
  std::string channel = "train";
  std::string mpi_options;  // extra mpirun options; they override the defaults
  std::string tls_channel;  // channel holding ca.pem, HOST.pem, HOST.key (ringsim certs)
  // job-ca: tls needs tls_channel; launch-channel-fingerprints: ephemeral
  // self-signed certificates pinned through the MPI launch channel.
  std::string tls_trust = "job-ca";
  // The control channel between the hosts' launchers is authenticated by the
  // certificate channel when there is one, else by a job secret every host
  // holds (TLS 1.3 with a key derived from it): the file `job_secret` in the
  // channel job_secret_channel, or (deprecated: hyperparameters show in the
  // job's description) the hyperparameter job_secret. Without either, a
  // multi-host job refuses to start unless insecure_unauthenticated_control.
  std::string job_secret;
  std::string job_secret_channel;
  bool insecure_unauthenticated_control = false;
  std::string log_level = "info";  // passed to the ranks as --log-level
  double wait_seconds = 1800;      // how long leader and workers wait for each other to appear
  int control_port = 7177;         // leader -> worker outcome channel
  // How long the leader lets mpirun take to end the job once the log shows a
  // failure (a rank's error, a killed rank, a lost host); then it ends mpirun.
  double abort_grace_seconds = 30;
};

// The launcher's own hyperparameters, in the order the docs list them: what
// each is (the table in docs/sagemaker.md is made from it) and how a value
// is checked and applied to `settings`.
struct LaunchSettingInfo {
  std::string_view name;
  std::string_view default_text;  // as the docs show it; "" when there is none
  std::string_view help;
};
struct LaunchSetting {
  LaunchSettingInfo info;
  std::function<void(const std::string& key, const std::string& value)> apply;  // throws ConfigError
};
std::vector<LaunchSetting> launch_setting_table(LaunchSettings& settings);
// The table as Markdown (`ringsim options --launcher`).
std::string launch_settings_markdown();

// The toolkit's MPI hyperparameters, as SageMaker's MPI images use them:
//   sagemaker_mpi_enabled                    must be true (or absent): ringsim
//                                            always runs its ranks under mpirun
//   sagemaker_mpi_num_of_processes_per_host  = processes_per_host (both given: equal)
//   sagemaker_mpi_custom_mpi_options         mpirun options, before mpi_options
LaunchSettings parse_launch_settings(const std::map<std::string, std::string>& hyperparameters);

// How a job secret reaches the hosts without showing in the job's
// description: every message that mentions the secret says this.
inline constexpr std::string_view kJobSecretChannelAdvice =
    "write it (python3 -c 'import secrets; print(secrets.token_hex(32))') to a file named job_secret, upload it "
    "to S3 as its own FullyReplicated input channel (e.g. 'secret') and set the hyperparameter "
    "job_secret_channel=secret; or give the job's certificates as a channel (tls_channel, see `ringsim certs`)";
// The warning a `job_secret` hyperparameter gets: it still works, for now.
std::string job_secret_deprecation();

// The job secret, from the hyperparameter or the file `job_secret` in the
// channel job_secret_channel under `ml_root` (its last line break dropped),
// or "" without either. Throws ConfigError naming the file when it cannot be
// read or is shorter than 32 characters. The launcher reads it where a
// failure can be told to the other hosts (the file may be missing on one).
std::string read_job_secret(const LaunchSettings& settings, const std::string& ml_root);

}  // namespace ringsim
