# ctest cmake_package: install the build tree into a scratch prefix, build the
# consumer project against it with find_package(sluice CONFIG), run it.
# Variables: BUILD_DIR WORK_DIR CONSUMER_DIR GENERATOR C_COMPILER EXPECTED_VERSION.
file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " cmd "${ARGN}")
    message(FATAL_ERROR "failed (${rc}): ${cmd}")
  endif()
endfunction()

run("${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${prefix}")
run("${CMAKE_COMMAND}" -S "${CONSUMER_DIR}" -B "${WORK_DIR}/build" -G "${GENERATOR}"
    "-DCMAKE_C_COMPILER=${C_COMPILER}" "-DCMAKE_PREFIX_PATH=${prefix}"
    "-DEXPECTED_VERSION=${EXPECTED_VERSION}")
run("${CMAKE_COMMAND}" --build "${WORK_DIR}/build")
run("${WORK_DIR}/build/consumer_shared" "${WORK_DIR}/shared.csv")
run("${WORK_DIR}/build/consumer_static" "${WORK_DIR}/static.csv")
message(STATUS "the installed package works (shared and static)")
# The installed libraries are large (debug line tables); do not keep a copy.
file(REMOVE_RECURSE "${WORK_DIR}")
