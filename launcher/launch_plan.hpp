#pragma once
// What this host's launcher will do, decided from the SageMaker config before
// anything runs: its role, the rank map, mpirun's argv with the rank command,
// where the control channel listens and with which credentials.
#include <memory>
#include <string>

#include "common/rank_map.hpp"
#include "common/socket.hpp"
#include "launcher/launch.hpp"
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
  bool has_job_secret = false;  // job_secret or job_secret_channel given (read when needed: read_job_secret)
  std::string scratch;          // this launcher's private folder (mkdtemp)
};

// `scratch`: this launcher's private folder (hostfile, the job's ssh key).
// Throws ConfigError on bad settings, and when a job of several hosts has no
// credentials for its control channel and does not opt out by name.
Plan make_plan(const LaunchOptions& options, SageMakerConfig config, const std::string& scratch);

// Where `host`'s launcher listens for the leader.
Endpoint control_endpoint(const Plan& plan, const LaunchOptions& options, const std::string& host);

// The control channel's TLS context: from the job's certificate channel
// (this host's certificate and key), else from the job secret, else null
// (plain TCP, which make_plan allows only when asked for by name).
std::unique_ptr<TlsContext> control_tls(const Plan& plan, const LaunchOptions& options);

// With a job secret and checkpoints: the key this host's ranks sign and
// check checkpoint files with (--checkpoint-key-file), written before any
// rank starts (the leader starts mpirun only once every worker has
// connected); "" when none is needed.
std::string write_checkpoint_key(const Plan& plan, const LaunchOptions& options);

// `word` as a POSIX shell reads it back (for printing commands).
std::string shell_quote(const std::string& word);

}  // namespace ringsim
