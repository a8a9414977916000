# Sourced by the scripts: lets mpirun start as root (containers, CI) and on a
# machine with fewer cores than ranks.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
# Unprivileged containers cannot use CMA for shared-memory copies.
export OMPI_MCA_btl_vader_single_copy_mechanism=none
