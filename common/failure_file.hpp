#pragma once
#include <string>

namespace ringsim {

// Writes `reason` (at most 1024 bytes: SageMaker's FailureReason limit) to
// `path` unless the file already exists: the first failure explains the
// job, later echoes must not overwrite it. Creates parent directories.
// Never throws; returns whether this call wrote the file.
bool write_failure_file(const std::string& path, const std::string& reason);

}  // namespace ringsim
