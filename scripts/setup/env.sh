# Sourced by the scripts: lets mpirun start as root (containers, CI) and on a
# machine with fewer cores than ranks. The settings are python/ringsim/mpirun.env,
# which the Python package and the CTest environment of every test that runs
# mpirun read too (one list, one place).
while IFS= read -r setting; do
  if [[ $setting == [A-Z]*=* ]]; then export "${setting?}"; fi
done <"$(dirname "${BASH_SOURCE[0]}")/../../python/ringsim/mpirun.env"
# Let ringsim pick OpenBLAS's kernels for this CPU (kernels/gemm_backend.hpp):
# an inherited OPENBLAS_CORETYPE (this machine's environment sets Haswell)
# would pin the slower AVX2 kernels. Set RINGSIM_OPENBLAS_CORETYPE to force one.
unset OPENBLAS_CORETYPE
if [[ -n "${RINGSIM_OPENBLAS_CORETYPE:-}" ]]; then export OPENBLAS_CORETYPE=$RINGSIM_OPENBLAS_CORETYPE; fi
