#pragma once
// What was built: the release (python/ringsim/VERSION, which the Python
// package reads too) and the source revision, baked in by CMake.
#include <string>

namespace ringsim {

// "0.5.0".
std::string ringsim_release();
// The git commit the build was configured from ("3f2a9c1"), or "" when
// unknown (a source tarball without .git and no RINGSIM_COMMIT).
std::string ringsim_revision();
// "0.5.0 (git 3f2a9c1)": what --version prints after "ringsim ".
std::string ringsim_version_text();

}  // namespace ringsim
