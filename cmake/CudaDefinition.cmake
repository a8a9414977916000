# ringsim_define_cuda_per_file(): in a CUDA build, RINGSIM_WITH_CUDA for the
# .cpp and .cu files that test it (#if/#ifdef/#ifndef), and no other file.
# A definition given to a whole target, or PUBLIC through ringsim_cuda,
# changes the command line of every object downstream, so the CUDA variant
# (scripts/test/test-cuda.sh, after scripts/test.sh in .ci/run) recompiled the whole
# project; given per file, ccache serves every other object from the plain
# build. Every target of the project is scanned, so a new file that tests the
# macro gets it. A header may not test it: the files that include the header
# would see it only where they happen to test it themselves.
set(_ringsim_cuda_test_regex "^[ \t]*#[ \t]*(if|ifdef|ifndef|elif)[ \t(!]+.*RINGSIM_WITH_CUDA")

function(_ringsim_targets_under dir out_var)
  get_property(targets DIRECTORY "${dir}" PROPERTY BUILDSYSTEM_TARGETS)
  get_property(subdirs DIRECTORY "${dir}" PROPERTY SUBDIRECTORIES)
  foreach(subdir IN LISTS subdirs)
    _ringsim_targets_under("${subdir}" more)
    list(APPEND targets ${more})
  endforeach()
  set(${out_var} "${targets}" PARENT_SCOPE)
endfunction()

function(ringsim_define_cuda_per_file)
  file(GLOB_RECURSE headers RELATIVE "${PROJECT_SOURCE_DIR}" "${PROJECT_SOURCE_DIR}/*.hpp")
  foreach(header IN LISTS headers)
    if(header MATCHES "^build")
      continue()
    endif()
    file(STRINGS "${PROJECT_SOURCE_DIR}/${header}" tests_it REGEX "${_ringsim_cuda_test_regex}")
    if(tests_it)
      message(FATAL_ERROR "${header} tests RINGSIM_WITH_CUDA: only .cpp/.cu files may (cmake/CudaDefinition.cmake)")
    endif()
  endforeach()
  if(NOT RINGSIM_WITH_CUDA)
    return()
  endif()
  _ringsim_targets_under("${PROJECT_SOURCE_DIR}" targets)
  foreach(target IN LISTS targets)
    get_target_property(sources ${target} SOURCES)
    get_target_property(dir ${target} SOURCE_DIR)
    foreach(source IN LISTS sources)
      cmake_path(ABSOLUTE_PATH source BASE_DIRECTORY "${dir}")
      if(source MATCHES "\\.(cpp|cu)$")
        file(STRINGS "${source}" tests_it REGEX "${_ringsim_cuda_test_regex}")
        if(tests_it)
          set_property(SOURCE "${source}" TARGET_DIRECTORY ${target} APPEND PROPERTY COMPILE_DEFINITIONS RINGSIM_WITH_CUDA)
        endif()
      endif()
    endforeach()
  endforeach()
endfunction()
