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
std::unique_ptr<TileBackend<Scalar>> make_tile_backend(Device device, std::int64_t tile_edge, TileRule rule,
                                                       nlohmann::json& description);

// The job's tile rule (kernels/tile_backend.hpp): exact re-scoring for
// cosine topk and threshold jobs on either device, where the rows then stay
// as given (the backend normalises its copies); --precision resolved on the
// CPU: auto takes bfloat16 for float32 jobs where oneDNN runs it natively,
// never emulated; an explicit bfloat16 runs emulated too, and says so. On
// a GPU the backend resolves auto from its tensor cores (cuda_backend.hpp).
TileRule tile_rule(const JobConfig& config);

}  // namespace ringsim
