# ringsim_add_mpi_test(NAME target RANKS 1 2 3 TIMEOUT 60 [ARGS ...])
# Registers NAME.<P>ranks for each P: mpiexec -n P --oversubscribe target.
# Every entry has a timeout: a hang is a failure, never a wait.
function(ringsim_add_mpi_test name target)
  cmake_parse_arguments(T "" "TIMEOUT" "RANKS;ARGS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  foreach(p ${T_RANKS})
    add_test(NAME ${name}.${p}ranks
             COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${p} --oversubscribe
                     --mca btl_vader_single_copy_mechanism none
                     $<TARGET_FILE:${target}> ${T_ARGS})
    set_tests_properties(${name}.${p}ranks PROPERTIES TIMEOUT ${T_TIMEOUT}
      ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OMPI_MCA_rmaps_base_oversubscribe=1;OMPI_MCA_pml=ob1")
  endforeach()
endfunction()
