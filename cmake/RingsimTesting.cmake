# RINGSIM_MPI_ENV: the Open MPI settings every test that runs mpirun gets, as
# a CTest ENVIRONMENT list. Their one source is python/ringsim/mpirun.env
# (one NAME=VALUE a line), which scripts/setup/env.sh exports for people and
# scripts before mpirun and the Python package sets for its mpirun, so a test
# runs MPI exactly as a user following the README does.
set(RINGSIM_MPIRUN_ENV ${PROJECT_SOURCE_DIR}/python/ringsim/mpirun.env)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${RINGSIM_MPIRUN_ENV})
file(STRINGS ${RINGSIM_MPIRUN_ENV} RINGSIM_MPI_ENV REGEX "^[A-Z][A-Z0-9_]*=")
if(NOT RINGSIM_MPI_ENV)
  message(FATAL_ERROR "no NAME=VALUE line in ${RINGSIM_MPIRUN_ENV}")
endif()

# ringsim_add_mpi_test(NAME target RANKS 1 2 3 TIMEOUT 60 [ARGS ...])
# Registers NAME.<P>ranks for each P: mpiexec -n P target, under
# RINGSIM_MPI_ENV (which allows more ranks than cores).
# Every entry has a timeout: a hang is a failure, never a wait.
function(ringsim_add_mpi_test name target)
  cmake_parse_arguments(T "" "TIMEOUT" "RANKS;ARGS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  foreach(p ${T_RANKS})
    add_test(NAME ${name}.${p}ranks
             COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${p} $<TARGET_FILE:${target}> ${T_ARGS})
    set_tests_properties(${name}.${p}ranks PROPERTIES TIMEOUT ${T_TIMEOUT} ENVIRONMENT "${RINGSIM_MPI_ENV}")
  endforeach()
endfunction()
