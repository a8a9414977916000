#pragma once
// Ranks per host when the job does not say (no processes_per_host): one per
// GPU on a GPU instance when the tiles run there (hyperparameter device
// cuda), else one per CPU. ml.p5.48xlarge (SM_NUM_GPUS=8, SM_NUM_CPUS=192)
// with device cuda runs 8 ranks per host, each on its own GPU (the rank takes
// GPU local_rank % visible GPUs, kernels/device_choice.hpp); with device cpu
// it runs one per CPU, up to the launcher's cap.
#include <string>

namespace ringsim {

int default_processes_per_host(int cpus, int gpus, bool device_cuda, int max_per_host);

// SM_NUM_GPUS: a whole number from 0; empty (a CPU instance) is 0. Throws
// ConfigError naming the variable otherwise.
int parse_gpu_count(const std::string& text);

}  // namespace ringsim
