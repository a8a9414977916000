#pragma once
// The CUDA tile backend (tile_backend.hpp; docs/gpu.md): built with
// -DRINGSIM_CUDA=ON or AUTO. No CUDA header here, so the engine includes it
// with the host compiler alone.
#include <cstdint>
#include <memory>
#include <string>

#include "kernels/tile_backend.hpp"

namespace ringsim {

struct GpuInfo {
  int index = -1;    // CUDA device number (after CUDA_VISIBLE_DEVICES)
  int visible = 0;   // GPUs this process sees
  std::string name;  // "NVIDIA H200"
  std::uint64_t memory_bytes = 0;
  std::string uuid;            // "GPU-..." (which physical GPU, whatever the numbering)
  int compute_capability = 0;  // major * 10 + minor: 90 for an H100
};

// The GPU for this rank: local_rank modulo the visible GPUs, made current.
// Without a usable GPU (none visible, no driver) throws InputError with one
// line naming what CUDA said.
GpuInfo open_gpu(int local_rank);

// Tiles as cuBLAS GEMMs on `gpu` (made current by open_gpu), selection on the
// GPU right after each (select_kernels.hpp). `tile_edge`: the grid's, the
// largest tile it will be given. `rule`: as the CPU backend's; its
// bfloat16 runs on tensor cores (refused by a GPU without them, unless
// rule.automatic), its tf32 is cuBLAS's TF32 GEMM.
template <class Scalar>
std::unique_ptr<TileBackend<Scalar>> make_cuda_backend(const GpuInfo& gpu, std::int64_t tile_edge, TileRule rule);

}  // namespace ringsim
