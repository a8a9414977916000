# Sourced by the scripts: lets mpirun start as root (containers, CI) and on a
# machine with fewer cores than ranks. The `export OMPI_...` lines are also
# the CTest environment of every test that runs mpirun
# (cmake/RingsimTesting.cmake reads them): keep each a plain NAME=VALUE list.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
# ob1 (shared memory + TCP) is the right messaging layer without InfiniBand;
# it also skips UCX's start-up probing (0.2 s of every MPI_Init here).
export OMPI_MCA_pml=ob1
# Unprivileged containers cannot use CMA for shared-memory copies.
export OMPI_MCA_btl_vader_single_copy_mechanism=none
# Let ringsim pick OpenBLAS's kernels for this CPU (kernels/gemm_backend.hpp):
# an inherited OPENBLAS_CORETYPE (this machine's environment sets Haswell)
# would pin the slower AVX2 kernels. Set RINGSIM_OPENBLAS_CORETYPE to force one.
unset OPENBLAS_CORETYPE
if [[ -n "${RINGSIM_OPENBLAS_CORETYPE:-}" ]]; then export OPENBLAS_CORETYPE=$RINGSIM_OPENBLAS_CORETYPE; fi
