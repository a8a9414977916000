#pragma once
// Ranks per host when the job does not say (no processes_per_host): one per
// GPU on a GPU instance when the tiles run there (hyperparameter device
// cuda), else one per physical core (host_cores.hpp). ml.p5.48xlarge (8
// GPUs, 96 cores) with device cuda runs 8 ranks per host, each on its own
// GPU (the rank takes GPU local_rank % visible GPUs,
// kernels/device_choice.hpp); with device cpu it runs one per core, up to
// the launcher's cap.
#include <string>

namespace ringsim {

int default_processes_per_host(int cpus, int gpus, bool device_cuda, int max_per_host);

// SM_NUM_GPUS: a whole number from 0; empty (a CPU instance) is 0. Throws
// ConfigError naming the variable otherwise.
int parse_gpu_count(const std::string& text);

struct GpuCount {
  int gpus = 0;
  std::string why;  // e.g. "4 GPUs: /dev/nvidia0 ... /dev/nvidia3"
};

// The GPUs this container sees. A bring-your-own image gets no SM_NUM_GPUS
// (SageMaker's training toolkit sets it, by asking nvidia-smi), so this asks
// NVML when libnvidia-ml.so.1 loads (the NVIDIA container runtime mounts it
// into GPU containers), else counts the device nodes /dev/nvidiaN under
// `dev_root`, which the runtime creates for the visible GPUs only.
// `sm_num_gpus` (SM_NUM_GPUS), when not empty, overrides both. `ask_nvml`:
// false for a fake device folder.
GpuCount count_gpus(const std::string& sm_num_gpus, const std::string& dev_root, bool ask_nvml);

}  // namespace ringsim
