#include <unistd.h>

#include <cstdlib>
#include <string>

#include "app/cli.hpp"
#include "kernels/gemm_backend.hpp"

namespace {

// Both settings below are read only when a process starts, so ringsim sets
// them and re-executes itself once. exec keeps the PID, so this is invisible
// to mpirun; RINGSIM_REEXECUTED prevents a loop; a user's own setting wins.
bool prepare_environment() {
  bool changed = false;
  // OpenBLAS kernels for this CPU (see kernels/gemm_backend.hpp).
  const std::string core = ringsim::preferred_openblas_coretype();
  if (!core.empty()) {
    ::setenv("OPENBLAS_CORETYPE", core.c_str(), 1);
    changed = true;
  }
  // Transparent huge pages for large allocations (row blocks, tiles,
  // buffers): the first touch of fresh memory then faults once per 2 MiB
  // instead of once per 4 KiB, which counts where faults are expensive (in
  // virtual machines, where ringsim usually runs).
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  const std::string current = tunables ? tunables : "";
  if (current.find("glibc.malloc.hugetlb") == std::string::npos) {
    const std::string updated = current.empty() ? "glibc.malloc.hugetlb=1" : current + ":glibc.malloc.hugetlb=1";
    ::setenv("GLIBC_TUNABLES", updated.c_str(), 1);
    changed = true;
  }
  return changed;
}

}  // namespace

int main(int argc, char** argv) {
  if (!std::getenv("RINGSIM_REEXECUTED") && prepare_environment()) {
    ::setenv("RINGSIM_REEXECUTED", "1", 1);
    ::execv("/proc/self/exe", argv);  // on failure, carry on as we are
  }
  return ringsim::run_cli(argc, argv);
}
