# RINGSIM_MPI_ENV: the Open MPI settings every test that runs mpirun gets, as
# a CTest ENVIRONMENT list. Their one source is scripts/setup/env.sh (its
# `export OMPI_...` lines), which people and scripts source before mpirun, so
# a test runs MPI exactly as a user following the README does.
set(RINGSIM_ENV_SH ${PROJECT_SOURCE_DIR}/scripts/setup/env.sh)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${RINGSIM_ENV_SH})
file(STRINGS ${RINGSIM_ENV_SH} ringsim_env_exports REGEX "^export OMPI_")
set(RINGSIM_MPI_ENV "")
foreach(line ${ringsim_env_exports})
  string(REGEX REPLACE "^export +" "" line "${line}")
  separate_arguments(assignments UNIX_COMMAND "${line}")
  list(APPEND RINGSIM_MPI_ENV ${assignments})
endforeach()
if(NOT RINGSIM_MPI_ENV)
  message(FATAL_ERROR "no `export OMPI_...` line in ${RINGSIM_ENV_SH}")
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
