#pragma once
// --device: the tile backend of this rank (kernels/tile_backend.hpp), and
// what report.json says about it.
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>

#include "common/job_config.hpp"
#include "kernels/tile_backend.hpp"

namespace ringsim {

// cpu: this core (Eigen / OpenBLAS). cuda (builds with RINGSIM_WITH_CUDA):
// the GPU of this rank's local rank modulo the visible GPUs; without a
// usable GPU throws InputError in one line. `description` receives the
// report's "device" entry: {"kind": "cpu"}, or the GPU's name, memory,
// index, uuid and the local rank that chose it.
template <class Scalar>
std::unique_ptr<TileBackend<Scalar>> make_tile_backend(Device device, std::int64_t tile_edge,
                                                       nlohmann::json& description);

}  // namespace ringsim
