#pragma once
// The SageMaker training-container contract, read from the ML root
// (/opt/ml by default) with the toolkit's SM_* environment variables as the
// fallback; docs/sagemaker.md ("How a job runs") describes the contract.
#include <map>
#include <string>
#include <vector>

namespace ringsim {

using Environment = std::map<std::string, std::string>;
Environment current_environment();

struct ChannelConfig {
  std::string distribution = "FullyReplicated";  // or ShardedByS3Key
  std::string content_type;
  // TrainingInputMode: File (copied before the job), FastFile (streamed on
  // read, files all the same) or Pipe (a FIFO per epoch, no files).
  std::string input_mode = "File";
};

struct SageMakerConfig {
  std::string ml_root;
  std::string current_host;
  std::vector<std::string> hosts;  // as given (not yet ordered)
  std::string network_interface = "eth0";
  std::string instance_type;
  std::map<std::string, std::string> hyperparameters;  // values decoded to plain strings
  std::map<std::string, ChannelConfig> channels;
  // The CPUs ranks go by by default: the physical cores the container may
  // use (host_cores.hpp), else SM_NUM_CPUS, else this machine's CPUs; and
  // what that number is and where it came from ("one per physical core the
  // container may use: 36 physical cores: ..."), for the dry run and the log.
  int cpus = 1;
  std::string cpus_why;
  int gpus = 0;  // the GPUs this container sees (gpu_ranks.hpp: count_gpus)
  std::string gpus_why;
};

// Test beds point these at a fake sysfs (RINGSIM_SYSFS_ROOT, default /sys)
// and a fake device folder (RINGSIM_DEV_ROOT, default /dev; set: NVML is
// not asked) through the environment load_sagemaker_config is given.

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
