#pragma once
// Which GPU a rank uses (--device cuda): plain arithmetic, no CUDA, so it is
// tested everywhere. Ranks on one host take the visible GPUs in turn by
// their local rank: 8 ranks on a host with 8 GPUs get one each; 4 ranks on
// one GPU (a test, or a small job) share it; CUDA_VISIBLE_DEVICES=2,3 makes
// the visible GPUs 0 and 1 (the runtime renumbers them), so local ranks
// 0,1,2,3 use devices 0,1,0,1, i.e. physical GPUs 2,3,2,3.
#include <cstdlib>
#include <string>

namespace ringsim {

inline int gpu_for_local_rank(int local_rank, int visible_gpus) {
  return visible_gpus > 0 && local_rank >= 0 ? local_rank % visible_gpus : -1;
}

// This process's rank among the ranks on its host, as the launcher gave it
// (Open MPI's OMPI_COMM_WORLD_LOCAL_RANK, else other launchers' names), 0
// when none says.
inline int local_rank_from_environment() {
  for (const char* name : {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID", "LOCAL_RANK"}) {
    const char* value = std::getenv(name);
    if (!value || !*value) continue;
    char* end = nullptr;
    const long rank = std::strtol(value, &end, 10);
    if (*end == '\0' && rank >= 0 && rank < 1 << 20) return static_cast<int>(rank);
  }
  return 0;
}

}  // namespace ringsim
