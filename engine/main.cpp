#include <unistd.h>

#include <cstdlib>

#include "engine/cli.hpp"
#include "kernels/gemm_backend.hpp"

int main(int argc, char** argv) {
  // Re-exec once with OPENBLAS_CORETYPE set when OpenBLAS would pick slower
  // kernels than this CPU supports (see gemm_backend.hpp). exec keeps the
  // PID, so this is invisible to mpirun; the guard prevents a loop.
  if (!std::getenv("RINGSIM_REEXECUTED")) {
    const std::string core = ringsim::preferred_openblas_coretype();
    if (!core.empty()) {
      ::setenv("OPENBLAS_CORETYPE", core.c_str(), 1);
      ::setenv("RINGSIM_REEXECUTED", "1", 1);
      ::execv("/proc/self/exe", argv);  // on failure, carry on with the slower kernels
    }
  }
  return ringsim::run_cli(argc, argv);
}
