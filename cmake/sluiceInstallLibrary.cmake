# Install step of CMakeLists.txt on ELF platforms (run by `cmake --install`):
#
#   lib/libsluice.so.X.Y.Z              the shared library, stripped, SONAME libsluice.so.X
#   lib/libsluice.so.X -> libsluice.so.X.Y.Z
#   lib/libsluice.so   -> libsluice.so.X        (for -lsluice at link time)
#   lib/.debug/libsluice.so.X.Y.Z.debug  its debug information (objcopy --only-keep-debug),
#                                        found by gdb and valgrind through .gnu_debuglink
#   lib/libsluice.a                     the static library, without debug information
#
# Variables set by the install(CODE) that includes this file: SLUICE_SHARED_LIBRARY,
# SLUICE_STATIC_LIBRARY, SLUICE_LIBDIR, SLUICE_SONAME, SLUICE_REAL_NAME, SLUICE_STRIP,
# SLUICE_OBJCOPY, SLUICE_STRIP_TOOL.

set(_libdir "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}/${SLUICE_LIBDIR}")
if(IS_ABSOLUTE "${SLUICE_LIBDIR}")
  set(_libdir "$ENV{DESTDIR}${SLUICE_LIBDIR}")
endif()
file(MAKE_DIRECTORY "${_libdir}")

function(_sluice_run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " cmd "${ARGN}")
    message(FATAL_ERROR "sluice install: failed (${rc}): ${cmd}\n${err}")
  endif()
endfunction()

set(_real "${_libdir}/${SLUICE_REAL_NAME}")
message(STATUS "Installing: ${_real}")
file(REMOVE "${_real}" "${_libdir}/${SLUICE_SONAME}" "${_libdir}/libsluice.so")
if(SLUICE_STRIP)
  set(_debug "${_libdir}/.debug/${SLUICE_REAL_NAME}.debug")
  message(STATUS "Installing: ${_debug}")
  file(MAKE_DIRECTORY "${_libdir}/.debug")
  _sluice_run("${SLUICE_OBJCOPY}" --only-keep-debug "${SLUICE_SHARED_LIBRARY}" "${_debug}")
  _sluice_run("${SLUICE_STRIP_TOOL}" --strip-unneeded -o "${_real}" "${SLUICE_SHARED_LIBRARY}")
  # The link holds the file name and a CRC of the debug file, not its path.
  _sluice_run("${SLUICE_OBJCOPY}" "--add-gnu-debuglink=${_debug}" "${_real}")
  file(CHMOD "${_real}" "${_debug}" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
  file(CHMOD "${_real}" PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                                    WORLD_READ WORLD_EXECUTE)
else()
  file(COPY_FILE "${SLUICE_SHARED_LIBRARY}" "${_real}")
endif()
file(CREATE_LINK "${SLUICE_REAL_NAME}" "${_libdir}/${SLUICE_SONAME}" SYMBOLIC)
file(CREATE_LINK "${SLUICE_SONAME}" "${_libdir}/libsluice.so" SYMBOLIC)

set(_static "${_libdir}/libsluice.a")
message(STATUS "Installing: ${_static}")
file(REMOVE "${_static}")
if(SLUICE_STRIP)
  _sluice_run("${SLUICE_STRIP_TOOL}" --strip-debug -o "${_static}" "${SLUICE_STATIC_LIBRARY}")
else()
  file(COPY_FILE "${SLUICE_STATIC_LIBRARY}" "${_static}")
endif()
