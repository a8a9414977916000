#include "launcher/launch.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <thread>

#include "common/errors.hpp"
#include "common/log.hpp"
#include "common/rank_map.hpp"
#include "common/stop_signal.hpp"
#include "launcher/child_process.hpp"
#include "launcher/control_channel.hpp"
#include "launcher/failure_report.hpp"
#include "launcher/gpu_ranks.hpp"
#include "launcher/launch_settings.hpp"
#include "launcher/mpirun_command.hpp"
#include "launcher/sagemaker_config.hpp"
#include "transport/certificates.hpp"
#include "transport/tls_stream.hpp"

namespace ringsim {

namespace fs = std::filesystem;

namespace {

// What the launcher is doing, for the failure file of a job stopped
// (StopTrainingJob's SIGTERM) before its ranks run.
std::string g_waiting_for = "reading the job's configuration";

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

std::string resource_config_path(const std::string& ml_root) { return ml_root + "/input/config/resourceconfig.json"; }

// The gethostname() shim: beside the binary (a build folder), or in ../lib
// (an install, the image).
std::string hostname_shim_path() {
  const fs::path bin = fs::path(self_executable()).parent_path();
  for (const fs::path& candidate :
       {bin / "libringsim_hostname.so", bin.parent_path() / "lib" / "libringsim_hostname.so"})
    if (fs::exists(candidate)) return candidate.string();
  return "";
}

bool has_option(const std::vector<std::pair<std::string, std::string>>& arguments, const std::string& flag) {
  for (const auto& [given, unused] : arguments)
    if (given == flag) return true;
  return false;
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
  // One option and its value per line.
  // clang-format off
  std::vector<std::string> command = {self_executable(), "run",
                                      "--input", channel_dir(root, s.channel),
                                      "--out", model_dir(leader_root),
                                      "--log-level", s.log_level,
                                      "--hosts", join(hosts, ","),
                                      "--processes-per-host", std::to_string(plan.ranks.hosts().front().ranks),
                                      "--failure-file", failure_file(root)};
  // clang-format on
  // The job options the user set, as the text they gave; ringsim run has
  // the same defaults for the rest.
  for (const auto& [flag, text] : s.job_arguments) command.insert(command.end(), {flag, text});
  if (sharded) command.push_back("--sharded");
  // SageMaker makes /opt/ml/checkpoints (synced with checkpoint_s3_uri) only
  // when the job asks for checkpoints: managed spot training resumes there.
  if (fs::is_directory(checkpoint_dir(leader_root))) {
    command.insert(command.end(), {"--checkpoint-dir", checkpoint_dir(root)});
    // Whoever can write checkpoint_s3_uri must not be able to change
    // results: with a certificate channel the files carry an HMAC keyed from
    // the leader's private key, which every host has and the S3 prefix never
    // sees.
    if (!s.tls_channel.empty())
      command.insert(command.end(),
                     {"--checkpoint-key-file", channel_dir(root, s.tls_channel) + "/" + plan.leader_host + ".key"});
  }
  // Each rank checks its place against the rank map by the name its host
  // goes by in resourceconfig.json (gethostname() says "aws" on SageMaker),
  // and, over several hosts, listens on the job's interface: "aws" resolves
  // to no address.
  const std::string resource_config = resource_config_path(options.ml_root);
  if (!options.local && fs::exists(resource_config))
    command.insert(command.end(), {"--resource-config", resource_config});
  // SageMaker's inter-container traffic encryption covers traffic between
  // instances, not inside one: transport=tls does the same unless the job
  // says encrypt=all.
  if (s.job.transport == TransportKind::tls && !has_option(s.job_arguments, "--encrypt"))
    command.insert(command.end(), {"--encrypt", "inter-host"});
  if (!options.local && hosts.size() > 1 && !has_option(s.job_arguments, "--bind"))
    command.insert(command.end(), {"--bind", plan.config.network_interface});
  if (s.job.transport == TransportKind::tls) {
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

// Where the leader keeps this job's ssh key (per launcher: test clusters
// share one /tmp).
std::string job_ssh_key_path(const std::string& host) {
  return (fs::temp_directory_path() / ("ringsim-" + host + "-" + std::to_string(::getpid()) + ".ssh") / "id_ed25519")
      .string();
}

// Makes a fresh ed25519 key pair at `path` (ssh-keygen, as the image has
// OpenSSH); returns the public key line.
std::string make_job_ssh_key(const std::string& path) {
  const fs::path dir = fs::path(path).parent_path();
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace);
  fs::remove(path);
  fs::remove(path + ".pub");
  const int code = run_child({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ringsim-job", "-f", path});
  if (code != 0)
    throw ConfigError("ssh-keygen failed to make the job's ssh key (exit code " + std::to_string(code) + ")");
  std::ifstream in(path + ".pub");
  std::string line;
  std::getline(in, line);
  if (line.empty()) throw ConfigError("ssh-keygen wrote no public key to " + path + ".pub");
  return line;
}

Plan make_plan(const LaunchOptions& options, SageMakerConfig config) {
  LaunchSettings settings = parse_launch_settings(config.hyperparameters);
  if (!config.channels.empty() && !config.channels.count(settings.channel))
    throw ConfigError("channel '" + settings.channel +
                      "' is not in inputdataconfig.json (set the 'channel' hyperparameter)");
  const auto device = config.hyperparameters.find("device");
  const bool device_cuda = device != config.hyperparameters.end() && device->second == "cuda";
  const int per_host = settings.processes_per_host > 0
                           ? settings.processes_per_host
                           : default_processes_per_host(config.cpus, config.gpus, device_cuda, kMaxProcessesPerHost);
  RankMap ranks(config.hosts, per_host);
  Plan plan{std::move(config), std::move(settings), std::move(ranks), false, "", {}};
  plan.leader_host = plan.ranks.hosts().front().host;
  plan.leader = plan.config.current_host == plan.leader_host;
  MpirunRequest request;
  request.ranks = &plan.ranks;
  request.network_interface = plan.config.network_interface;
  // One host runs its ranks itself: no ssh, and no name to resolve (a
  // container's own algo-N may not resolve yet, or at all).
  request.local = options.local || plan.ranks.hosts().size() == 1;
  // Per launcher: simulated hosts and test clusters share one /tmp.
  request.hostfile_path = (fs::temp_directory_path() /
                           ("ringsim-" + plan.config.current_host + "-" + std::to_string(::getpid()) + ".hostfile"))
                              .string();
  request.user_options = plan.settings.mpi_options;
  request.rank_command = rank_command(plan, options);
  // The leader makes a key for this job alone and hands its public half to
  // the workers over the control channel (launch.cpp, run_leader): no
  // private key is baked into the image.
  if (!request.local) request.ssh_identity = job_ssh_key_path(plan.config.current_host);
  if (std::getenv("LD_LIBRARY_PATH")) request.exported_variables.push_back("LD_LIBRARY_PATH");
  if (!request.local) {
    request.resource_config = resource_config_path(options.ml_root);
    request.hostname_shim = hostname_shim_path();
    if (const char* preload = std::getenv("LD_PRELOAD")) request.inherited_preload = preload;
    if (request.hostname_shim.empty())
      log::warning("libringsim_hostname.so is not beside " + self_executable() +
                   " (or in ../lib): Open MPI may mix up hosts whose containers share a host name, as SageMaker's do");
  }
  plan.mpirun = plan_mpirun(request);
  return plan;
}

Endpoint control_endpoint(const Plan& plan, const LaunchOptions& options, const std::string& host) {
  const int index = plan.ranks.host_index(host);
  if (options.local) return {"127.0.0.1", plan.settings.control_port + index};
  return {host, plan.settings.control_port};
}

// Puts the job's first failure at the head of output/failure (SageMaker
// shows its first 1024 bytes), keeping what this host's ranks wrote after it:
// a worker whose ranks were stopped because another rank died must say which
// rank died, not only "stopped by signal 15".
void record_job_failure(const std::string& path, const std::string& reason) {
  std::string existing;
  if (std::ifstream in(path); in) {
    std::stringstream text;
    text << in.rdbuf();
    existing = text.str();
  }
  if (existing.rfind(reason, 0) == 0) return;
  const std::string text = (existing.empty() ? reason : reason + " | on this host: " + existing).substr(0, 1024);
  std::error_code ignored;
  fs::create_directories(fs::path(path).parent_path(), ignored);
  const std::string temporary = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << text;
    if (!out) return;  // the message still went to the log
  }
  fs::rename(temporary, path, ignored);
  if (ignored) fs::remove(temporary, ignored);
}

// After a job succeeded: every checkpoint file of it on this host. SageMaker
// restores every host's files to every host (and syncs the folder with
// checkpoint_s3_uri), so each host holds other ranks' files too; left there
// they would be refused by the next job in the same checkpoint_s3_uri as
// "made by another job". The ranks have already removed their own.
void remove_job_checkpoints(const std::string& ml_root) {
  static const std::regex name(R"(rank-[0-9]+\.step-[0-9]+\.ckpt(\..*)?)");
  std::error_code error;
  int removed = 0;
  for (const auto& entry : fs::directory_iterator(checkpoint_dir(ml_root), error))
    if (std::regex_match(entry.path().filename().string(), name) && fs::remove(entry.path(), error)) ++removed;
  if (removed > 0)
    log::info(
        fmt::format("removed {} checkpoint file(s) of the finished job from {}", removed, checkpoint_dir(ml_root)));
}

// A checkpoint refused as another job's: what a SageMaker user can do about it
// (ringsim run's own advice, another --checkpoint-dir, is not theirs to give).
std::string with_checkpoint_advice(const std::string& reason) {
  if (reason.find("was made by another job") == std::string::npos) return reason;
  return reason +
         " [on SageMaker: /opt/ml/checkpoints is restored from the estimator's checkpoint_s3_uri; delete the "
         "rank-*.ckpt objects under that S3 prefix, or give the job a checkpoint_s3_uri of its own]";
}

int fail(const std::string& ml_root, const std::string& host, const std::string& message, int code = 1) {
  log::error(message);
  record_job_failure(failure_file(ml_root), "ringsim launch on " + (host.empty() ? "?" : host) + ": " + message);
  return code;
}

// sshd for mpirun's logins, in the foreground (-D) as the launcher's child so
// that it ends with the job. RINGSIM_SSHD replaces the command (a test bed
// runs one sshd per network namespace with its own keys and no pid file).
std::unique_ptr<ChildProcess> start_sshd() {
  std::vector<std::string> command = {"/usr/sbin/sshd", "-D", "-e"};
  if (const char* custom = std::getenv("RINGSIM_SSHD"); custom && *custom) {
    command = split_words(custom);
  } else {
    // The image holds no host keys (every container would share them):
    // this container makes its own.
    if (const int code = run_child({"ssh-keygen", "-A"}); code != 0)
      throw ConfigError("ssh-keygen -A could not make sshd's host keys (exit code " + std::to_string(code) + ")");
  }
  // Debian's sshd refuses to start without its privilege separation folder,
  // which a fresh container's /run lacks.
  std::error_code ignored;
  fs::create_directories("/run/sshd", ignored);
  auto sshd = std::make_unique<ChildProcess>(command, ChildProcess::Options{SIGTERM, false});
  // A bad config or a taken port ends sshd at once: say so here rather than
  // let the leader time out on port 22.
  for (int i = 0; i < 10 && sshd->poll() < 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (const int code = sshd->poll(); code >= 0)
    throw ConfigError(command[0] + " failed to start (exit code " + std::to_string(code) + ")");
  return sshd;
}

// The control channel's TLS context from the job's certificate channel
// (this host's certificate and key), or null without one.
std::unique_ptr<TlsContext> control_tls(const Plan& plan, const LaunchOptions& options) {
  if (plan.settings.tls_channel.empty()) return nullptr;
  const std::string dir = channel_dir(options.ml_root, plan.settings.tls_channel);
  const std::string& host = plan.config.current_host;
  const TlsCredentials credentials{read_text_file(dir + "/ca.pem", "the certificate channel's ca.pem"),
                                   read_text_file(dir + "/" + host + ".pem", "this host's certificate"),
                                   read_text_file(dir + "/" + host + ".key", "this host's key")};
  return std::make_unique<TlsContext>(credentials, "TLS_AES_128_GCM_SHA256", "openssl");
}

struct RemoveAtExit {
  std::string path;  // empty: nothing
  ~RemoveAtExit() {
    std::error_code ignored;
    if (!path.empty()) fs::remove_all(path, ignored);
  }
};

int run_leader(const Plan& plan, const LaunchOptions& options) {
  const RemoveAtExit remove_key{
      options.local ? "" : fs::path(job_ssh_key_path(plan.config.current_host)).parent_path().string()};
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<long>(plan.settings.wait_seconds * 1000));
  std::vector<std::pair<std::string, Endpoint>> workers;
  for (const auto& h : plan.ranks.hosts())
    if (h.host != plan.leader_host) workers.emplace_back(h.host, control_endpoint(plan, options, h.host));
  LeaderChannel channel;
  const std::string& self = plan.config.current_host;
  std::unique_ptr<TlsContext> tls;
  try {
    tls = control_tls(plan, options);
  } catch (const Error& e) {
    // Without usable credentials this leader cannot open the control channel:
    // tell the workers in plaintext (they would otherwise wait wait_seconds).
    const std::string reason = "the leader " + self + " cannot take part: " + e.what();
    g_waiting_for = "the leader told the workers it cannot take part";
    LeaderChannel::tell_plain(workers, reason,
                              std::min(deadline, std::chrono::steady_clock::now() + std::chrono::seconds(50)));
    throw TlsError(reason);
  }
  try {
    std::string hosts;
    for (const auto& [host, unused] : workers) hosts += (hosts.empty() ? "" : ", ") + host;
    g_waiting_for = "the leader waited for the workers (" + hosts + ") to open their control ports";
    channel.connect(workers, deadline, tls.get(), self);
    g_waiting_for = "the leader handed the workers the job's ssh key";
    const bool over_ssh = !options.local && !workers.empty();
    if (over_ssh) channel.share_ssh_key(make_job_ssh_key(job_ssh_key_path(plan.config.current_host)), deadline);
    // The leader needs no sshd of its own: mpirun starts its local ranks
    // directly and only logs in to the workers (no tree spawn).
    if (over_ssh)
      for (const auto& [host, unused] : workers) {
        g_waiting_for = "the leader waited for sshd on " + host;
        wait_for_sshd({resolve_host(host, deadline), 22}, deadline, "sshd on " + host);
      }
  } catch (const Error& e) {
    // The workers that did come hear why there is no job.
    channel.announce({1, e.what()});
    throw;
  }
  {
    std::ofstream hostfile(plan.mpirun.hostfile_path);
    hostfile << plan.mpirun.hostfile;
    if (!hostfile) throw IoError("cannot write the hostfile " + plan.mpirun.hostfile_path);
  }
  RemoveAtExit remove_hostfile{plan.mpirun.hostfile_path};
  log::info(fmt::format("leader {} starts {} ranks on {} hosts\n{}", plan.leader_host, plan.ranks.ranks(),
                        plan.ranks.hosts().size(), plan.ranks.table()));
  std::vector<std::string> host_of_rank;
  for (int r = 0; r < plan.ranks.ranks(); ++r) host_of_rank.push_back(plan.ranks.host_of(r));
  FailureReport report(std::move(host_of_rank));
  ChildProcess mpirun(plan.mpirun.argv, {SIGTERM, true});
  // mpirun should end the job within seconds of a failure
  // (orte_abort_on_non_zero_status), but it can hang in its abort waiting for
  // a daemon on a host it cannot reach: once the log shows a failure, give it
  // abort_grace_seconds, then end it ourselves.
  std::optional<std::chrono::steady_clock::time_point> failed_at, stop_at;
  bool ended_by_us = false;
  g_waiting_for = "the ranks ran";
  const auto grace = std::chrono::milliseconds(static_cast<long>(plan.settings.abort_grace_seconds * 1000));
  const int code =
      mpirun.wait([&](const std::string& line) { report.add_line(line); },
                  [&] {
                    // StopTrainingJob: mpirun passes the SIGTERM on to the
                    // ranks, which stop at once, but its own teardown can take
                    // seconds more (remote daemons); SageMaker kills 120 s
                    // later, and a stop should take seconds, so mpirun gets 2.
                    const auto now = std::chrono::steady_clock::now();
                    if (!stop_at && ChildProcess::forwarded_signal() != 0) stop_at = now;
                    if (stop_at && !ended_by_us && now > *stop_at + std::chrono::seconds(2)) {
                      ended_by_us = true;
                      mpirun.terminate(500);
                    }
                    if (!failed_at && report.failed()) failed_at = std::chrono::steady_clock::now();
                    if (failed_at && !ended_by_us && std::chrono::steady_clock::now() > *failed_at + grace) {
                      log::error(fmt::format("mpirun still runs {:.0f} s after the job failed; ending it",
                                             plan.settings.abort_grace_seconds));
                      ended_by_us = true;
                      mpirun.terminate(5000);
                    }
                  },
                  250);
  std::string reason;
  if (const int signal = ChildProcess::forwarded_signal(); signal != 0 && code != 0) {
    // The stop is the cause: the ranks' "stopped by signal 15" lines echo it.
    reason = "stopped by signal " + std::to_string(signal) + (signal == SIGTERM ? " (SIGTERM)" : "") +
             " (StopTrainingJob) while " + g_waiting_for;
    log::error("job failed: " + reason);
    channel.announce({128 + signal, reason});
    record_job_failure(failure_file(options.ml_root), "ringsim launch on " + plan.config.current_host + ": " + reason);
    return 128 + signal;
  }
  if (code != 0) {
    std::string cause = report.summary();
    if (ended_by_us)
      cause += (cause.empty() ? "" : "; ") + std::string("mpirun had not ended the job ") +
               std::to_string(static_cast<int>(plan.settings.abort_grace_seconds)) +
               " s after the first failure and was ended by the launcher";
    reason = cause.empty()
                 ? "mpirun exited with code " + std::to_string(code) + " (see the ringsim: error lines in the log)"
                 : cause + " (mpirun exit code " + std::to_string(code) + ")";
    log::error("job failed: " + reason);
  }
  reason = with_checkpoint_advice(reason);
  channel.announce({code, reason});
  if (code != 0) record_job_failure(failure_file(options.ml_root), "job failed: " + reason);
  if (code == 0) remove_job_checkpoints(options.ml_root);
  return code;
}

int run_worker(const Plan& plan, const LaunchOptions& options) {
  WorkerChannel channel(options.local ? control_endpoint(plan, options, plan.config.current_host)
                                      : Endpoint{"0.0.0.0", plan.settings.control_port});
  if (options.local) channel.set_leader_address("127.0.0.1");
  std::unique_ptr<ChildProcess> sshd;
  g_waiting_for = "this worker started sshd";
  if (!options.local) sshd = start_sshd();
  g_waiting_for = "this worker waited for the leader " + plan.leader_host + " (to connect, then for the job's outcome)";
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<long>(plan.settings.wait_seconds * 1000));
  std::unique_ptr<TlsContext> tls;
  try {
    tls = control_tls(plan, options);
  } catch (const Error& e) {
    // Without usable credentials this worker cannot join the control
    // channel: it answers the leader's connections with why (the leader would
    // otherwise wait wait_seconds and then blame the control port), then fails.
    const std::string reason = "the worker " + plan.config.current_host + " cannot take part: " + e.what();
    g_waiting_for = "this worker told the leader it cannot take part";
    channel.refuse_all(reason, plan.leader_host,
                       std::min(deadline, std::chrono::steady_clock::now() + std::chrono::seconds(50)));
    throw TlsError(reason);
  }
  // Where sshd looks for root's keys (a test cluster names its own file).
  std::string authorized_keys;
  if (!options.local) {
    const char* configured = std::getenv("RINGSIM_AUTHORIZED_KEYS");
    const char* home = std::getenv("HOME");
    authorized_keys = configured ? configured : std::string(home ? home : "/root") + "/.ssh/authorized_keys";
  }
  const JobOutcome outcome =
      channel.await_outcome(deadline, plan.leader_host, tls.get(), authorized_keys, plan.config.current_host);
  if (outcome.exit_code != 0) {
    const std::string reason = "job failed (leader " + plan.leader_host + " reports): " + outcome.reason;
    log::error(reason);
    record_job_failure(failure_file(options.ml_root), reason);
    return outcome.exit_code;
  }
  remove_job_checkpoints(options.ml_root);
  return 0;
}

}  // namespace

std::vector<std::string> launch_mpirun_argv(const LaunchOptions& options, const SageMakerConfig& config) {
  return make_plan(options, config).mpirun.argv;
}

int run_launch(const LaunchOptions& options) {
  // From the first moment: in a container the launcher is PID 1, which
  // ignores any signal it has no handler for, so without this SageMaker's
  // StopTrainingJob (SIGTERM) would go unheard until the SIGKILL 120 s later.
  // The handler sets a flag that every wait polls at least once a second
  // (common/socket.cpp, BlockingTls); while mpirun runs, ChildProcess::wait
  // passes the signal on to it instead.
  install_stop_handler();
  std::string host;
  try {
    SageMakerConfig config = load_sagemaker_config(options.ml_root, current_environment());
    host = config.current_host;
    const Plan plan = make_plan(options, std::move(config));
    if (options.dry_run) {
      std::printf("role: %s (%s)\n%s", plan.leader ? "leader" : "worker", host.c_str(), plan.ranks.table().c_str());
      std::printf("hostfile (%s):\n%s", plan.mpirun.hostfile_path.c_str(), plan.mpirun.hostfile.c_str());
      std::string argv;
      for (const auto& word : plan.mpirun.argv) argv += (argv.empty() ? "" : " ") + shell_quote(word);
      std::printf("mpirun argv:\n%s\n", argv.c_str());
      return 0;
    }
    // output/failure describes this job: a rerun on the same ML root starts
    // without the last job's (the ranks write theirs only where none is).
    std::error_code ignored;
    fs::remove(failure_file(options.ml_root), ignored);
    return plan.leader ? run_leader(plan, options) : run_worker(plan, options);
  } catch (const StoppedError& e) {
    // Unwinding has removed the job's ssh key and the hostfile, and ended
    // sshd; 128 + the signal, as a process killed by it would give.
    return fail(options.ml_root, host, std::string(e.what()) + " (StopTrainingJob) while " + g_waiting_for,
                128 + stop_signal());
  } catch (const std::exception& e) {
    return fail(options.ml_root, host, e.what());
  }
}

}  // namespace ringsim
