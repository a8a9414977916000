#pragma once
// The SageMaker training-container contract, read from the ML root
// (/opt/ml by default) with the toolkit's SM_* environment variables as the
// fallback. See shared/SAGEMAKER.md for the facts this follows.
#include <map>
#include <string>
#include <vector>

namespace ringsim {

using Environment = std::map<std::string, std::string>;
Environment current_environment();

struct ChannelConfig {
  std::string distribution = "FullyReplicated";  // or ShardedByS3Key
  std::string content_type;
};

struct SageMakerConfig {
  std::string ml_root;
  std::string current_host;
  std::vector<std::string> hosts;  // as given (not yet ordered)
  std::string network_interface = "eth0";
  std::string instance_type;
  std::map<std::string, std::string> hyperparameters;  // values decoded to plain strings
  std::map<std::string, ChannelConfig> channels;
  int cpus = 1;  // SM_NUM_CPUS, else this machine's
  int gpus = 0;  // SM_NUM_GPUS (gpu_ranks.hpp)
};

// Throws ConfigError naming the file (or variable) and the problem:
// malformed JSON, missing hosts, current_host not in hosts, ...
SageMakerConfig load_sagemaker_config(const std::string& ml_root, const Environment& environment);

// The Python SDK JSON-encodes hyperparameter values a second time
// ("\"abc\"", "10"): decode once when that yields a scalar.
std::string decode_hyperparameter(const std::string& raw);

// Where things live under an ML root.
std::string channel_dir(const std::string& ml_root, const std::string& channel);
std::string model_dir(const std::string& ml_root);
std::string failure_file(const std::string& ml_root);
// /opt/ml/checkpoints: SageMaker's local copy of checkpoint_s3_uri.
std::string checkpoint_dir(const std::string& ml_root);

}  // namespace ringsim
