#include "common/build_info.hpp"

namespace ringsim {

std::string ringsim_release() { return RINGSIM_RELEASE; }

std::string ringsim_revision() { return RINGSIM_REVISION; }

std::string ringsim_version_text() {
  const std::string revision = ringsim_revision();
  return ringsim_release() + (revision.empty() ? "" : " (git " + revision + ")");
}

}  // namespace ringsim
