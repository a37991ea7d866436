# sluice_import_tensorflow_wheel(): an imported target sluice::tensorflow for the
# TensorFlow C++ headers and framework library that the tensorflow-cpu wheel
# ships, for sluice/tensorflow.hpp.
#
#   find_package(sluice CONFIG REQUIRED)           # defines this function
#   sluice_import_tensorflow_wheel(PYTHON /path/to/venv/bin/python)
#   target_link_libraries(app PRIVATE sluice::tensorflow)   # sluice::sluice + TF, C++17
#
# The paths and flags are the wheel's own: tf.sysconfig.get_include(),
# get_lib() and get_compile_flags(); tensorflow::Tensor lives in
# libtensorflow_framework.so.2. PYTHON defaults as for sluice_import_torch_wheel().

include("${CMAKE_CURRENT_LIST_DIR}/sluiceWheelPython.cmake")

function(sluice_import_tensorflow_wheel)
  if(TARGET sluice::tensorflow)
    return()
  endif()
  cmake_parse_arguments(arg "" "PYTHON" "" ${ARGN})
  _sluice_wheel_python(python "${arg_PYTHON}")
  # TF_CPP_MIN_LOG_LEVEL: keep TensorFlow's start-up chatter out of the output.
  execute_process(
    COMMAND "${CMAKE_COMMAND}" -E env TF_CPP_MIN_LOG_LEVEL=3
      "${python}" -c
      "import tensorflow as tf; s = tf.sysconfig; print(s.get_include()); print(s.get_lib()); print(';'.join(f[2:] for f in s.get_compile_flags() if f.startswith('-D')))"
    OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "sluice_import_tensorflow_wheel: '${python}' cannot import tensorflow:\n${err}")
  endif()
  string(REPLACE "\n" "|" out "${out}")
  string(REGEX REPLACE "^([^|]*)\\|([^|]*)\\|(.*)$" "\\1" include_dir "${out}")
  string(REGEX REPLACE "^([^|]*)\\|([^|]*)\\|(.*)$" "\\2" lib_dir "${out}")
  string(REGEX REPLACE "^([^|]*)\\|([^|]*)\\|(.*)$" "\\3" defines "${out}")
  set(framework "${lib_dir}/libtensorflow_framework.so.2")
  if(NOT EXISTS "${framework}")
    message(FATAL_ERROR "sluice_import_tensorflow_wheel: ${framework} is missing")
  endif()

  add_library(sluice::tensorflow INTERFACE IMPORTED GLOBAL)
  set_target_properties(sluice::tensorflow PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${include_dir}"
    INTERFACE_COMPILE_DEFINITIONS "${defines}"
    INTERFACE_COMPILE_FEATURES cxx_std_17
    INTERFACE_LINK_LIBRARIES "sluice::sluice;${framework}"
    INTERFACE_LINK_OPTIONS "LINKER:-rpath,${lib_dir}")
endfunction()
