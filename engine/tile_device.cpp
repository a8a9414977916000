#include "engine/tile_device.hpp"

#include "common/errors.hpp"
#include "kernels/device_choice.hpp"
#ifdef RINGSIM_WITH_CUDA
#include "kernels/cuda/cuda_backend.hpp"
#endif

namespace ringsim {

template <class Scalar>
std::unique_ptr<TileBackend<Scalar>> make_tile_backend(Device device, std::int64_t tile_edge,
                                                       nlohmann::json& description) {
  if (device == Device::cpu) {
    description = {{"kind", "cpu"}};
    return std::make_unique<CpuTileBackend<Scalar>>();
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
  return make_cuda_backend<Scalar>(gpu, tile_edge);
#else
  (void)tile_edge;
  throw InputError("--device cuda: this ringsim was built without CUDA (-DRINGSIM_CUDA=ON builds it)");
#endif
}

template std::unique_ptr<TileBackend<float>> make_tile_backend<float>(Device, std::int64_t, nlohmann::json&);
template std::unique_ptr<TileBackend<double>> make_tile_backend<double>(Device, std::int64_t, nlohmann::json&);

}  // namespace ringsim
