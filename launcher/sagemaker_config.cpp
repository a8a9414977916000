#include "launcher/sagemaker_config.hpp"

#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "common/errors.hpp"
#include "common/host.hpp"
#include "launcher/gpu_ranks.hpp"
#include "launcher/host_cores.hpp"

extern char** environ;

namespace ringsim {

namespace fs = std::filesystem;
using nlohmann::json;

Environment current_environment() {
  Environment environment;
  for (char** entry = environ; entry && *entry; ++entry) {
    const std::string text = *entry;
    const auto equals = text.find('=');
    if (equals != std::string::npos) environment[text.substr(0, equals)] = text.substr(equals + 1);
  }
  return environment;
}

std::string channel_dir(const std::string& ml_root, const std::string& channel) {
  return ml_root + "/input/data/" + channel;
}
std::string model_dir(const std::string& ml_root) { return ml_root + "/model"; }
std::string failure_file(const std::string& ml_root) { return ml_root + "/output/failure"; }
std::string checkpoint_dir(const std::string& ml_root) { return ml_root + "/checkpoints"; }

std::string decode_hyperparameter(const std::string& raw) {
  try {
    const json value = json::parse(raw);
    if (value.is_string()) return value.get<std::string>();
    // The number as written ("1e-7", "0.99999995"), not as JSON prints it back.
    if (value.is_number() || value.is_boolean()) {
      const auto first = raw.find_first_not_of(" \t\r\n");
      const auto last = raw.find_last_not_of(" \t\r\n");
      return raw.substr(first, last - first + 1);
    }
  } catch (const json::exception&) {
    // Not JSON: the value is the plain string itself.
  }
  return raw;
}

namespace {

json parse_json(const std::string& text, const std::string& origin) {
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    // nlohmann's message names the byte offset of the problem.
    throw ConfigError(origin + ": malformed JSON (" + std::string(e.what()) + ")");
  }
}

bool read_if_exists(const std::string& path, std::string& text) {
  if (!fs::exists(path)) return false;
  std::ifstream in(path);
  if (!in) throw ConfigError(path + ": cannot be read");
  std::stringstream buffer;
  buffer << in.rdbuf();
  text = buffer.str();
  return true;
}

std::vector<std::string> get_string_list(const json& value, const std::string& origin) {
  if (!value.is_array()) throw ConfigError(origin + ": expected a list of host names");
  std::vector<std::string> out;
  for (const auto& item : value) {
    if (!item.is_string() || item.get<std::string>().empty())
      throw ConfigError(origin + ": host names must be non-empty strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

// SM_NUM_CPUS: a whole number of CPUs, not std::stoi's "8 cores" -> 8 or
// its std::invalid_argument.
int parse_cpu_count(const std::string& text) {
  int cpus = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), cpus);
  if (error != std::errc{} || end != text.data() + text.size() || cpus < 1 || cpus > 1 << 20)
    throw ConfigError("SM_NUM_CPUS must be a whole number of CPUs (1 or more), got '" + text + "'");
  return cpus;
}

std::string lookup(const Environment& environment, const std::string& key) {
  const auto it = environment.find(key);
  return it == environment.end() ? "" : it->second;
}

// The JSON object in `path`, else in the environment variable `variable`
// (how SageMaker's toolkit also passes it), else {}.
json read_config_object(const std::string& path, const std::string& variable, const Environment& environment) {
  std::string text;
  json value = json::object();
  if (read_if_exists(path, text))
    value = parse_json(text, path);
  else if (!lookup(environment, variable).empty())
    value = parse_json(lookup(environment, variable), variable);
  if (!value.is_object()) throw ConfigError(path + ": expected a JSON object");
  return value;
}

// The hosts and this host's name, its network interface and instance type:
// resourceconfig.json, else the toolkit's SM_HOSTS and SM_CURRENT_HOST.
void read_hosts(SageMakerConfig& config, const std::string& config_dir, const Environment& environment) {
  std::string text;
  const std::string resource_path = config_dir + "/resourceconfig.json";
  if (read_if_exists(resource_path, text)) {
    const json resource = parse_json(text, resource_path);
    if (!resource.is_object()) throw ConfigError(resource_path + ": expected a JSON object");
    config.current_host = current_host_in(text, resource_path);
    if (!resource.contains("hosts")) throw ConfigError(resource_path + ": missing \"hosts\"");
    config.hosts = get_string_list(resource["hosts"], resource_path + " \"hosts\"");
    if (resource.contains("network_interface_name") && resource["network_interface_name"].is_string())
      config.network_interface = resource["network_interface_name"].get<std::string>();
    if (resource.contains("current_instance_type") && resource["current_instance_type"].is_string())
      config.instance_type = resource["current_instance_type"].get<std::string>();
  } else if (!lookup(environment, "SM_HOSTS").empty()) {
    config.hosts = get_string_list(parse_json(lookup(environment, "SM_HOSTS"), "SM_HOSTS"), "SM_HOSTS");
    config.current_host = lookup(environment, "SM_CURRENT_HOST");
    if (config.current_host.empty()) throw ConfigError("SM_HOSTS is set but SM_CURRENT_HOST is not");
    if (!lookup(environment, "SM_NETWORK_INTERFACE_NAME").empty())
      config.network_interface = lookup(environment, "SM_NETWORK_INTERFACE_NAME");
    config.instance_type = lookup(environment, "SM_CURRENT_INSTANCE_TYPE");
  } else {
    throw ConfigError(resource_path +
                      " not found and SM_HOSTS not set: is this a SageMaker training container? "
                      "(use --ml-root to point elsewhere)");
  }
  if (config.hosts.empty()) throw ConfigError(resource_path + ": \"hosts\" is empty");
  if (std::find(config.hosts.begin(), config.hosts.end(), config.current_host) == config.hosts.end()) {
    std::string list;
    for (const auto& h : config.hosts) list += (list.empty() ? "" : ", ") + h;
    throw ConfigError("current_host '" + config.current_host + "' is not in hosts [" + list + "]");
  }
}

// The input channels of inputdataconfig.json (else SM_INPUT_DATA_CONFIG).
std::map<std::string, ChannelConfig> read_channels(const std::string& config_dir, const Environment& environment) {
  std::map<std::string, ChannelConfig> channels_by_name;
  const std::string data_path = config_dir + "/inputdataconfig.json";
  const json channels = read_config_object(data_path, "SM_INPUT_DATA_CONFIG", environment);
  for (const auto& [name, channel] : channels.items()) {
    ChannelConfig c;
    if (channel.is_object()) {
      if (channel.contains("S3DistributionType") && channel["S3DistributionType"].is_string())
        c.distribution = channel["S3DistributionType"].get<std::string>();
      if (channel.contains("ContentType") && channel["ContentType"].is_string())
        c.content_type = channel["ContentType"].get<std::string>();
      if (channel.contains("TrainingInputMode") && channel["TrainingInputMode"].is_string())
        c.input_mode = channel["TrainingInputMode"].get<std::string>();
    }
    if (c.distribution != "FullyReplicated" && c.distribution != "ShardedByS3Key")
      throw ConfigError(data_path + ": channel '" + name + "' has unknown S3DistributionType '" + c.distribution + "'");
    channels_by_name[name] = c;
  }
  return channels_by_name;
}

// The CPUs ranks go by by default, and why (SageMakerConfig::cpus).
void count_cpus(SageMakerConfig& config, const Environment& environment) {
  const std::string cpus = lookup(environment, "SM_NUM_CPUS");
  const int sm_num_cpus = cpus.empty() ? 0 : parse_cpu_count(cpus);  // checked even when the cores decide
  const std::string sys_root = lookup(environment, "RINGSIM_SYSFS_ROOT");
  if (const auto cores = physical_cores(sys_root.empty() ? "/sys" : sys_root)) {
    config.cpus = cores->cores;
    config.cpus_why = "one per physical core the container may use: " + cores->why;
  } else if (sm_num_cpus > 0) {
    config.cpus = sm_num_cpus;
    config.cpus_why = "one per vCPU: SM_NUM_CPUS=" + cpus + " (the CPU topology in sysfs cannot be read)";
  } else {
    config.cpus = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    config.cpus_why =
        "one per CPU of this machine: " + std::to_string(config.cpus) + " (no CPU topology in sysfs, no SM_NUM_CPUS)";
  }
}

}  // namespace

SageMakerConfig load_sagemaker_config(const std::string& ml_root, const Environment& environment) {
  SageMakerConfig config;
  config.ml_root = ml_root;
  const std::string config_dir = ml_root + "/input/config";
  read_hosts(config, config_dir, environment);

  // Hyperparameters: a string-to-string map, values maybe JSON-encoded twice.
  const json hyperparameters = read_config_object(config_dir + "/hyperparameters.json", "SM_HPS", environment);
  for (const auto& [key, value] : hyperparameters.items())
    config.hyperparameters[key] = value.is_string() ? decode_hyperparameter(value.get<std::string>()) : value.dump();

  config.channels = read_channels(config_dir, environment);
  count_cpus(config, environment);
  const std::string dev_root = lookup(environment, "RINGSIM_DEV_ROOT");
  const GpuCount gpus =
      count_gpus(lookup(environment, "SM_NUM_GPUS"), dev_root.empty() ? "/dev" : dev_root, dev_root.empty());
  config.gpus = gpus.gpus;
  config.gpus_why = gpus.why;
  return config;
}

}  // namespace ringsim
