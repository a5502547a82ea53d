# Run by the build on every build (engine/CMakeLists.txt, target rooflm_build_info): writes
# OUTPUT from engine/results/build_info.cpp.in with the commit the binary is built from, whether the
# tree was dirty, the version and the build type. The file changes (and recompiles) only when one
# of them does. A tree without .git (a copy on a lent machine) names its commit in the environment
# variable ROOFLM_GIT_COMMIT at build time; without either the commit is unknown (null in results).
# Inputs: -DSOURCE_DIR= -DOUTPUT= -DVERSION= -DBUILD_TYPE=
set(ROOFLM_GIT_COMMIT "")
set(ROOFLM_GIT_DIRTY -1)
if(NOT "$ENV{ROOFLM_GIT_COMMIT}" STREQUAL "")
  set(ROOFLM_GIT_COMMIT "$ENV{ROOFLM_GIT_COMMIT}")
else()
  execute_process(COMMAND git -C "${SOURCE_DIR}" rev-parse HEAD RESULT_VARIABLE rc OUTPUT_VARIABLE head
                  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(rc EQUAL 0)
    set(ROOFLM_GIT_COMMIT "${head}")
    execute_process(COMMAND git -C "${SOURCE_DIR}" status --porcelain RESULT_VARIABLE rc OUTPUT_VARIABLE status
                    ERROR_QUIET)
    if(rc EQUAL 0)
      if(status STREQUAL "")
        set(ROOFLM_GIT_DIRTY 0)
      else()
        set(ROOFLM_GIT_DIRTY 1)
      endif()
    endif()
  endif()
endif()
string(REGEX REPLACE "[^0-9A-Za-z._-]" "" ROOFLM_GIT_COMMIT "${ROOFLM_GIT_COMMIT}")
set(ROOFLM_VERSION "${VERSION}")
set(ROOFLM_BUILD_TYPE "${BUILD_TYPE}")
configure_file("${SOURCE_DIR}/engine/results/build_info.cpp.in" "${OUTPUT}" @ONLY)
