#pragma once
// What this host's launcher will do, decided from the SageMaker config before
// anything runs: its role, the rank map, mpirun's argv with the rank command,
// where the control channel listens and with which credentials.
#include <memory>
#include <string>
#include <vector>

#include "common/rank_map.hpp"
#include "common/socket.hpp"
#include "launcher/launch_options.hpp"
#include "launcher/launch_settings.hpp"
#include "launcher/mpirun_command.hpp"
#include "launcher/sagemaker_config.hpp"

namespace ringsim {

class TlsContext;

struct Plan {
  SageMakerConfig config;
  LaunchSettings settings;
  RankMap ranks;
  bool leader = false;
  std::string leader_host;
  MpirunPlan mpirun;
  std::string per_host_why;     // where the ranks per host came from (the dry run prints it)
  bool has_job_secret = false;  // job_secret or job_secret_channel given (read once: launch_credentials)
  std::string scratch;          // this launcher's private folder (mkdtemp)
};

// `scratch`: this launcher's private folder (hostfile, the job's ssh key).
// Throws ConfigError on bad settings, and when a job of several hosts has no
// credentials for its control channel and does not opt out by name.
Plan make_plan(const LaunchOptions& options, SageMakerConfig config, const std::string& scratch);

// What `ringsim launch --dry-run` checks and prints beyond the plan: where
// the ranks per host and the GPU count came from, and whether the
// certificate channel (tls_channel) holds a valid pair for every host.
// Throws ConfigError naming the hosts whose certificates are missing or
// wrong.
std::string dry_run_checks(const Plan& plan, const LaunchOptions& options);

// Where `host`'s launcher listens for the leader.
Endpoint control_endpoint(const Plan& plan, const LaunchOptions& options, const std::string& host);

// What this host's launcher authenticates with, read once at start-up.
struct LaunchCredentials {
  // The control channel's TLS context: from the job's certificate channel
  // (this host's certificate and key), else from the job secret, else null
  // (plain TCP, which make_plan allows only when asked for by name).
  std::unique_ptr<TlsContext> control;
  // With a job secret and checkpoints: the key this host's ranks sign and
  // check checkpoint files with (--checkpoint-key-file); else empty. A
  // certificate channel keys checkpoints from the leader's key instead.
  std::vector<unsigned char> checkpoint_key;
};

// Reads the job secret once and derives both keys from it, one HKDF per
// purpose (net/preshared_key.hpp), or reads the certificate channel.
LaunchCredentials launch_credentials(const Plan& plan, const LaunchOptions& options);

// Writes `checkpoint_key` where the ranks' --checkpoint-key-file points,
// before any rank starts (the leader starts mpirun only once every worker
// has connected); returns its path, "" when the key is empty.
std::string write_checkpoint_key(const std::vector<unsigned char>& checkpoint_key, const LaunchOptions& options);

// `word` as a POSIX shell reads it back (for printing commands).
std::string shell_quote(const std::string& word);

}  // namespace ringsim
