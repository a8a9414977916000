#include "launcher/launch.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "common/errors.hpp"
#include "common/failure_file.hpp"
#include "launcher/child_process.hpp"
#include "launcher/control_channel.hpp"
#include "launcher/launch_settings.hpp"
#include "launcher/mpirun_command.hpp"
#include "launcher/rank_map.hpp"
#include "launcher/sagemaker_config.hpp"

namespace ringsim {

namespace fs = std::filesystem;

namespace {

struct Plan {
  SageMakerConfig config;
  LaunchSettings settings;
  RankMap ranks;
  bool leader = false;
  std::string leader_host;
  MpirunPlan mpirun;
};

std::string join(const std::vector<std::string>& words, const char* separator) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : separator) + w;
  return out;
}

std::string shell_quote(const std::string& word) {
  if (!word.empty() && word.find_first_of(" \t\n'\"\\$`{}*?;&|<>()") == std::string::npos) return word;
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::vector<std::string> rank_command(const Plan& plan, const LaunchOptions& options) {
  const auto& s = plan.settings;
  // Every host reads its own ML root: the same path on SageMaker, sibling
  // folders in a local simulation.
  const std::string root =
      options.local ? (fs::path(options.ml_root).parent_path() / "{host}").string() : options.ml_root;
  const std::string leader_root =
      options.local ? (fs::path(options.ml_root).parent_path() / plan.leader_host).string() : options.ml_root;
  std::vector<std::string> hosts;
  for (const auto& h : plan.ranks.hosts()) hosts.push_back(h.host);
  const auto channel = plan.config.channels.find(s.channel);
  const bool sharded = channel != plan.config.channels.end() && channel->second.distribution == "ShardedByS3Key";
  // clang-format off: one option and its value per line
  std::vector<std::string> command = {self_executable(), "run",
                                      "--input", channel_dir(root, s.channel),
                                      "--out", model_dir(leader_root),
                                      "--mode", s.mode,
                                      "--k", std::to_string(s.k),
                                      "--threshold", std::to_string(s.threshold),
                                      "--dtype", s.dtype,
                                      "--tile", std::to_string(s.tile),
                                      "--timeout", std::to_string(s.timeout_seconds),
                                      "--max-full-bytes", std::to_string(s.max_full_bytes),
                                      "--transport", s.transport,
                                      "--hosts", join(hosts, ","),
                                      "--processes-per-host", std::to_string(plan.ranks.hosts().front().ranks),
                                      "--failure-file", failure_file(root)};
  // clang-format on
  if (sharded) command.push_back("--sharded");
  if (!options.local) command.push_back("--check-hosts");
  if (s.transport == "tls") {
    command.insert(command.end(), {"--tls-ciphersuites", s.tls_ciphersuites, "--tls-crypto", s.tls_crypto});
    if (s.tls_channel.empty()) {
      command.push_back("--tls-ephemeral");
    } else {
      const std::string dir = channel_dir(root, s.tls_channel);
      command.insert(command.end(), {"--tls-ca", dir + "/ca.pem", "--tls-cert", dir + "/{host}.pem", "--tls-key",
                                     dir + "/{host}.key"});
    }
  }
  return command;
}

Plan make_plan(const LaunchOptions& options, SageMakerConfig config) {
  LaunchSettings settings = parse_launch_settings(config.hyperparameters);
  if (!config.channels.empty() && !config.channels.count(settings.channel))
    throw ConfigError("channel '" + settings.channel +
                      "' is not in inputdataconfig.json (set the 'channel' hyperparameter)");
  const int per_host = settings.processes_per_host > 0 ? settings.processes_per_host : config.cpus;
  RankMap ranks(config.hosts, per_host);
  Plan plan{std::move(config), std::move(settings), std::move(ranks), false, "", {}};
  plan.leader_host = plan.ranks.hosts().front().host;
  plan.leader = plan.config.current_host == plan.leader_host;
  MpirunRequest request;
  request.ranks = &plan.ranks;
  request.network_interface = plan.config.network_interface;
  request.local = options.local;
  request.hostfile_path = "/tmp/ringsim-" + plan.config.current_host + ".hostfile";
  request.user_options = plan.settings.mpi_options;
  request.rank_command = rank_command(plan, options);
  if (std::getenv("LD_LIBRARY_PATH")) request.exported_variables.push_back("LD_LIBRARY_PATH");
  plan.mpirun = plan_mpirun(request);
  return plan;
}

Endpoint control_endpoint(const Plan& plan, const LaunchOptions& options, const std::string& host) {
  const int index = plan.ranks.host_index(host);
  if (options.local) return {"127.0.0.1", plan.settings.control_port + index};
  return {host, plan.settings.control_port};
}

int fail(const std::string& ml_root, const std::string& host, const std::string& message, int code = 1) {
  std::fprintf(stderr, "ringsim: error: %s\n", message.c_str());
  write_failure_file(failure_file(ml_root), "ringsim launch on " + (host.empty() ? "?" : host) + ": " + message);
  return code;
}

int run_leader(const Plan& plan, const LaunchOptions& options) {
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<long>(plan.settings.wait_seconds * 1000));
  std::vector<std::pair<std::string, Endpoint>> workers;
  for (const auto& h : plan.ranks.hosts())
    if (h.host != plan.leader_host) workers.emplace_back(h.host, control_endpoint(plan, options, h.host));
  if (!options.local) {
    start_daemon({"/usr/sbin/sshd"});
    for (const auto& [host, unused] : workers)
      wait_for_port({resolve_host(host, deadline), 22}, deadline, "sshd on " + host);
  }
  LeaderChannel channel;
  channel.connect(workers, deadline);
  {
    std::ofstream hostfile(plan.mpirun.argv[2]);
    hostfile << plan.mpirun.hostfile;
    if (!hostfile) throw IoError("cannot write the hostfile " + plan.mpirun.argv[2]);
  }
  std::fprintf(stderr, "ringsim: leader %s starts %d ranks on %zu hosts\n%s", plan.leader_host.c_str(),
               plan.ranks.ranks(), plan.ranks.hosts().size(), plan.ranks.table().c_str());
  const int code = run_child(plan.mpirun.argv);
  const std::string reason =
      code == 0 ? "" : "mpirun exited with code " + std::to_string(code) + " (see the ringsim: error lines in the log)";
  channel.announce({code, reason});
  if (code != 0)
    write_failure_file(failure_file(options.ml_root), "ringsim launch on " + plan.leader_host + ": " + reason);
  return code;
}

int run_worker(const Plan& plan, const LaunchOptions& options) {
  WorkerChannel channel(options.local ? control_endpoint(plan, options, plan.config.current_host)
                                      : Endpoint{"0.0.0.0", plan.settings.control_port});
  if (!options.local) start_daemon({"/usr/sbin/sshd"});
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<long>(plan.settings.wait_seconds * 1000));
  const JobOutcome outcome = channel.await_outcome(deadline, plan.leader_host);
  if (outcome.exit_code != 0)
    return fail(options.ml_root, plan.config.current_host,
                "the job failed on the leader " + plan.leader_host + ": " + outcome.reason, outcome.exit_code);
  return 0;
}

}  // namespace

int run_launch(const LaunchOptions& options) {
  std::string host;
  try {
    SageMakerConfig config = load_sagemaker_config(options.ml_root, current_environment());
    host = config.current_host;
    const Plan plan = make_plan(options, std::move(config));
    if (options.dry_run) {
      std::printf("role: %s (%s)\n%s", plan.leader ? "leader" : "worker", host.c_str(), plan.ranks.table().c_str());
      std::printf("hostfile (%s):\n%s", plan.mpirun.argv[2].c_str(), plan.mpirun.hostfile.c_str());
      std::string argv;
      for (const auto& word : plan.mpirun.argv) argv += (argv.empty() ? "" : " ") + shell_quote(word);
      std::printf("mpirun argv:\n%s\n", argv.c_str());
      return 0;
    }
    return plan.leader ? run_leader(plan, options) : run_worker(plan, options);
  } catch (const std::exception& e) {
    return fail(options.ml_root, host, e.what());
  }
}

}  // namespace ringsim
