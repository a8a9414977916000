#include "launcher/launch_plan.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "common/errors.hpp"
#include "common/hex.hpp"
#include "common/log.hpp"
#include "common/no_follow_file.hpp"
#include "launcher/certificate_check.hpp"
#include "launcher/child_process.hpp"
#include "launcher/gpu_ranks.hpp"
#include "net/certificates.hpp"
#include "net/preshared_key.hpp"
#include "net/tls_stream.hpp"

namespace ringsim {

namespace fs = std::filesystem;

namespace {

std::string resource_config_path(const std::string& ml_root) { return ml_root + "/input/config/resourceconfig.json"; }

std::string join(const std::vector<std::string>& words, const char* separator) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : separator) + w;
  return out;
}

// Where each host's launcher puts the checkpoint key it derives from the job
// secret: the same path on every host, outside what SageMaker uploads.
std::string checkpoint_key_path(const std::string& ml_root) { return ml_root + "/ringsim/checkpoint.key"; }

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

// The one file in `channel` under `ml_root` (the leader's view; every host
// holds the same, FullyReplicated). Throws ConfigError when there is not
// exactly one.
std::string single_file(const std::string& ml_root, const std::string& channel) {
  std::vector<std::string> names;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(channel_dir(ml_root, channel), error))
    if (entry.is_regular_file()) names.push_back(entry.path().filename().string());
  if (error)
    throw ConfigError("channel '" + channel + "' (" + channel_dir(ml_root, channel) +
                      ") cannot be read: " + error.message());
  if (names.size() != 1)
    throw ConfigError("channel '" + channel + "' must hold exactly one file (the row ids, text or .npy); it holds " +
                      std::to_string(names.size()));
  return names.front();
}

// Pipe mode hands a channel over as a FIFO per epoch
// (/opt/ml/input/data/NAME_0), with no files in the channel's folder: every
// channel ringsim reads must be File or FastFile. Refused here, before any
// rank starts, rather than as "input file not found" in the ranks.
void check_input_modes(const SageMakerConfig& config, const LaunchSettings& settings) {
  std::vector<std::string> read = {settings.channel, "ids", "queries", "query_ids"};
  if (!settings.tls_channel.empty()) read.push_back(settings.tls_channel);
  if (!settings.job_secret_channel.empty()) read.push_back(settings.job_secret_channel);
  for (const auto& name : read) {
    const auto channel = config.channels.find(name);
    if (channel == config.channels.end() || channel->second.input_mode == "File" ||
        channel->second.input_mode == "FastFile")
      continue;
    throw ConfigError("channel '" + name + "' has TrainingInputMode " + channel->second.input_mode +
                      ", which ringsim cannot read (Pipe mode streams the objects through a FIFO, not as files): "
                      "give the channel input_mode 'File' or 'FastFile' (TrainingInput(..., input_mode='File'), "
                      "or the estimator's input_mode)");
  }
}

// The ranks' arguments from the job's other channels (ids, queries,
// query_ids) and from SageMaker's checkpoint folder, unless the user gave them.
void add_channel_arguments(std::vector<std::string>& command, const Plan& plan, const std::string& root,
                           const std::string& leader_root) {
  const auto& s = plan.settings;
  // An `ids` channel: the row ids, one file (text, one per line, or a 1-D
  // .npy), as --ids takes them.
  if (plan.config.channels.count("ids") && !has_option(s.job_arguments, "--ids"))
    command.insert(command.end(), {"--ids", channel_dir(root, "ids") + "/" + single_file(leader_root, "ids")});
  // A `queries` channel makes it a queries job: its files (stacked, as the
  // input channel's) against the input; `query_ids` names them as `ids` does.
  if (plan.config.channels.count("queries") && !has_option(s.job_arguments, "--queries"))
    command.insert(command.end(), {"--queries", channel_dir(root, "queries")});
  if (plan.config.channels.count("query_ids") && !has_option(s.job_arguments, "--query-ids"))
    command.insert(command.end(),
                   {"--query-ids", channel_dir(root, "query_ids") + "/" + single_file(leader_root, "query_ids")});
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
    else if (plan.has_job_secret)
      command.insert(command.end(), {"--checkpoint-key-file", checkpoint_key_path(root)});
  }
}

// The ranks' arguments for where they run and how they connect: the
// resourceconfig.json their hosts go by, the interface they listen on, the
// edges TLS covers and the job's certificates.
void add_transport_arguments(std::vector<std::string>& command, const Plan& plan, const LaunchOptions& options,
                             const std::string& root) {
  const auto& s = plan.settings;
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
  if (!options.local && plan.ranks.hosts().size() > 1 && !has_option(s.job_arguments, "--bind"))
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
  // the same defaults for the rest. A switch takes its value joined to it
  // (id_matrix=true: "--id-matrix=true"; "--id-matrix true" is refused).
  for (const auto& [flag, text] : s.job_arguments) {
    if (is_switch_flag(flag))
      command.push_back(flag + "=" + text);
    else
      command.insert(command.end(), {flag, text});
  }
  if (sharded) command.push_back("--sharded");
  add_channel_arguments(command, plan, root, leader_root);
  add_transport_arguments(command, plan, options, root);
  return command;
}

// `ringsim certs --hosts` for `hosts`: "algo-1..8" for SageMaker's names
// algo-1 ... algo-8, else the names with commas.
std::string certs_hosts_argument(const std::vector<std::string>& hosts) {
  for (std::size_t i = 0; i < hosts.size(); ++i)
    if (hosts[i] != "algo-" + std::to_string(i + 1)) return join(hosts, ",");
  return hosts.size() == 1 ? hosts.front() : "algo-1.." + std::to_string(hosts.size());
}

}  // namespace

std::string shell_quote(const std::string& word) {
  if (!word.empty() && word.find_first_of(" \t\n'\"\\$`{}*?;&|<>()") == std::string::npos) return word;
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// `scratch`: this launcher's private folder (hostfile, the job's ssh key).
Plan make_plan(const LaunchOptions& options, SageMakerConfig config, const std::string& scratch) {
  LaunchSettings settings = parse_launch_settings(config.hyperparameters);
  if (!config.channels.empty() && !config.channels.count(settings.channel))
    throw ConfigError("channel '" + settings.channel +
                      "' is not in inputdataconfig.json (set the 'channel' hyperparameter)");
  check_input_modes(config, settings);
  const auto device = config.hyperparameters.find("device");
  const bool device_cuda = device != config.hyperparameters.end() && device->second == "cuda";
  const int per_host = settings.processes_per_host > 0
                           ? settings.processes_per_host
                           : default_processes_per_host(config.cpus, config.gpus, device_cuda, kMaxProcessesPerHost);
  std::string per_host_why = settings.processes_per_host > 0 ? "the hyperparameter processes_per_host"
                             : device_cuda && config.gpus > 0
                                 ? "one per GPU (device cuda): " + config.gpus_why
                                 : config.cpus_why + "; set processes_per_host to override";
  RankMap ranks(config.hosts, per_host);
  Plan plan{std::move(config), std::move(settings), std::move(ranks), false, "", {}, "", false, scratch};
  plan.per_host_why = std::move(per_host_why);
  plan.has_job_secret = !plan.settings.job_secret.empty() || !plan.settings.job_secret_channel.empty();
  // The hosts' launchers take orders from each other (an ssh key to
  // install, the job's outcome): on a shared network that channel must be
  // authenticated, or anyone could plant a login or fake a success.
  if (plan.ranks.hosts().size() > 1 && plan.settings.tls_channel.empty() && !plan.has_job_secret) {
    if (!plan.settings.insecure_unauthenticated_control)
      throw ConfigError(
          "a job on several hosts needs an authenticated control channel between its launchers, keyed by a job "
          "secret: " +
          std::string(kJobSecretChannelAdvice) +
          "; insecure_unauthenticated_control=true runs without one, trusting every host on the network");
    log::warning(
        "insecure_unauthenticated_control=true: the launchers' control channel is plain TCP, and any host on this "
        "network that connects from the leader's address can install an ssh key or end the job");
  }
  plan.leader_host = plan.ranks.hosts().front().host;
  plan.leader = plan.config.current_host == plan.leader_host;
  MpirunRequest request;
  request.ranks = &plan.ranks;
  request.network_interface = plan.config.network_interface;
  // One host runs its ranks itself: no ssh, and no name to resolve (a
  // container's own algo-N may not resolve yet, or at all).
  request.local = options.local || plan.ranks.hosts().size() == 1;
  request.hostfile_path = scratch + "/hostfile";
  request.user_options = plan.settings.mpi_options;
  request.rank_command = rank_command(plan, options);
  // The leader makes a key for this job alone and hands its public half to
  // the workers over the control channel (launch.cpp, run_leader): no
  // private key is baked into the image.
  if (!request.local) request.ssh_identity = scratch + "/id_ed25519";
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

std::string dry_run_checks(const Plan& plan, const LaunchOptions& options) {
  std::string text = "ranks per host: " + std::to_string(plan.ranks.hosts().front().ranks) + " (" + plan.per_host_why +
                     ")\nGPUs: " + plan.config.gpus_why + "\n";
  if (plan.settings.tls_channel.empty()) return text;
  std::vector<std::string> hosts;
  for (const auto& h : plan.ranks.hosts()) hosts.push_back(h.host);
  const std::string dir = channel_dir(options.ml_root, plan.settings.tls_channel);
  const auto problems = certificate_channel_problems(dir, hosts);
  if (!problems.empty()) {
    throw ConfigError("the certificate channel '" + plan.settings.tls_channel + "' (" + dir +
                      ") does not fit the job's hosts: " + join(problems, "; ") +
                      ". Make it for exactly these hosts: ringsim certs --out certs --hosts " +
                      certs_hosts_argument(hosts));
  }
  return text + "certificates (" + dir + "): ca.pem and a valid certificate and key for each of " + join(hosts, ", ") +
         "\n";
}

Endpoint control_endpoint(const Plan& plan, const LaunchOptions& options, const std::string& host) {
  const int index = plan.ranks.host_index(host);
  if (options.local) return {"127.0.0.1", plan.settings.control_port + index};
  return {host, plan.settings.control_port};
}

LaunchCredentials launch_credentials(const Plan& plan, const LaunchOptions& options) {
  LaunchCredentials credentials;
  if (plan.settings.tls_channel.empty()) {
    if (!plan.has_job_secret) return credentials;
    const std::string secret = read_job_secret(plan.settings, options.ml_root);
    credentials.control = std::make_unique<TlsContext>(
        PresharedKey{derive_job_key(secret, "ringsim control channel"), "ringsim-control"}, plan.config.current_host);
    if (fs::is_directory(checkpoint_dir(options.ml_root)))
      credentials.checkpoint_key = derive_job_key(secret, "ringsim checkpoints");
    return credentials;
  }
  const std::string dir = channel_dir(options.ml_root, plan.settings.tls_channel);
  const std::string& host = plan.config.current_host;
  const TlsCredentials certificates{read_text_file(dir + "/ca.pem", "the certificate channel's ca.pem"),
                                    read_text_file(dir + "/" + host + ".pem", "this host's certificate"),
                                    read_text_file(dir + "/" + host + ".key", "this host's key")};
  credentials.control = std::make_unique<TlsContext>(certificates, "TLS_AES_128_GCM_SHA256", "openssl");
  return credentials;
}

std::string write_checkpoint_key(const std::vector<unsigned char>& checkpoint_key, const LaunchOptions& options) {
  if (checkpoint_key.empty()) return "";
  const std::string path = checkpoint_key_path(options.ml_root);
  fs::create_directories(fs::path(path).parent_path());
  fs::permissions(fs::path(path).parent_path(), fs::perms::owner_all, fs::perm_options::replace);
  replace_file_no_follow(path, to_hex(checkpoint_key), 0600);
  return path;
}

}  // namespace ringsim
