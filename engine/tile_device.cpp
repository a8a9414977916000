#include "engine/tile_device.hpp"

#include "common/errors.hpp"
#include "common/log.hpp"
#include "kernels/device_choice.hpp"
#include "kernels/onednn_gemm.hpp"
#ifdef RINGSIM_WITH_CUDA
#include "kernels/cuda/cuda_backend.hpp"
#endif

namespace ringsim {

TileRule tile_rule(const JobConfig& config) {
  TileRule rule;
  rule.exact = config.score == Score::cosine && config.mode != Mode::full;
  if (!rule.exact || config.dtype != Dtype::float32) return rule;
  if (config.device == Device::cuda) {
    // The GPU backend checks its tensor cores (cuda_backend.hpp). auto stays
    // on float32 GEMMs there: the tensor-core paths have not yet run on a GPU
    // (docs/gpu.md), so they are taken only when asked for by name.
    rule.bfloat16 = config.precision == Precision::bfloat16;
    rule.tf32 = config.precision == Precision::tf32;
    return rule;
  }
  if (config.precision == Precision::bfloat16) {
    rule.bfloat16 = true;
    if (!onednn_native_bfloat16() && onednn_available())
      log::info("--precision bfloat16: this CPU has no native bfloat16 (oneDNN reports " + onednn_isa_name() +
                "); running oneDNN's emulation, slower than float32");
  } else if (config.precision == Precision::automatic) {
    rule.bfloat16 = onednn_native_bfloat16();
  }
  return rule;
}

template <class Scalar>
std::unique_ptr<TileBackend<Scalar>> make_tile_backend(Device device, std::int64_t tile_edge, TileRule rule,
                                                       nlohmann::json& description) {
  if (device == Device::cpu) {
    description = {{"kind", "cpu"}};
    return std::make_unique<CpuTileBackend<Scalar>>(rule, tile_edge);
  }
#ifdef RINGSIM_WITH_CUDA
  const int local_rank = local_rank_from_environment();
  const GpuInfo gpu = open_gpu(local_rank);
  description = {{"kind", "cuda"},
                 {"gpu", gpu.name},
                 {"memory_bytes", gpu.memory_bytes},
                 {"index", gpu.index},
                 {"visible_gpus", gpu.visible},
                 {"uuid", gpu.uuid},
                 {"local_rank", local_rank}};
  return make_cuda_backend<Scalar>(gpu, tile_edge, rule);
#else
  (void)tile_edge, (void)rule;
  throw InputError("--device cuda: this ringsim was built without CUDA (-DRINGSIM_CUDA=ON builds it)");
#endif
}

template std::unique_ptr<TileBackend<float>> make_tile_backend<float>(Device, std::int64_t, TileRule, nlohmann::json&);
template std::unique_ptr<TileBackend<double>> make_tile_backend<double>(Device, std::int64_t, TileRule,
                                                                        nlohmann::json&);

}  // namespace ringsim
