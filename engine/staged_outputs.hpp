#pragma once
// Result files written in full but not yet under their names: the job
// publishes them together with its report (publish.hpp).
#include <memory>
#include <vector>

#include "common/atomic_file.hpp"

namespace ringsim {

using StagedOutputs = std::vector<std::unique_ptr<AtomicFile>>;

}  // namespace ringsim
