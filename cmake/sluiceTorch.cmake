# sluice_import_torch_wheel(): an imported target sluice::torch for the libtorch
# inside a PyPI torch wheel, for sluice/torch.hpp.
#
#   find_package(sluice CONFIG REQUIRED)           # defines this function
#   sluice_import_torch_wheel(PYTHON /path/to/venv/bin/python)
#   target_link_libraries(app PRIVATE sluice::torch)   # sluice::sluice + libtorch, C++20
#
# Why not find_package(Torch): the PyPI wheel is the CUDA build, and its
# TorchConfig.cmake fails without a CUDA toolkit. Its CPU libraries work
# without one when linked directly: libtorch_cpu.so and libc10.so, with an
# rpath to torch/lib and to the CUDA runtime libraries that the nvidia-* wheels
# put in site-packages/nvidia/*/lib (libtorch_cpu.so needs libcudart at load
# time, even on a machine without a GPU). A libtorch that does have a working
# TorchConfig.cmake can be used the usual way instead:
#   find_package(Torch REQUIRED)
#   target_link_libraries(app PRIVATE sluice::sluice ${TORCH_LIBRARIES})
#
# PYTHON defaults to SLUICE_PYTHON, then Python3_EXECUTABLE, then python3 on PATH.

include("${CMAKE_CURRENT_LIST_DIR}/sluiceWheelPython.cmake")

function(sluice_import_torch_wheel)
  if(TARGET sluice::torch)
    return()
  endif()
  cmake_parse_arguments(arg "" "PYTHON" "" ${ARGN})
  _sluice_wheel_python(python "${arg_PYTHON}")
  execute_process(
    COMMAND "${python}" -c
      "import os, torch; print(os.path.dirname(torch.__file__)); print(int(torch._C._GLIBCXX_USE_CXX11_ABI))"
    OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "sluice_import_torch_wheel: '${python}' cannot import torch:\n${err}")
  endif()
  string(REPLACE "\n" ";" out "${out}")
  list(GET out 0 torch_dir)
  list(GET out 1 cxx11_abi)

  set(libs "${torch_dir}/lib/libtorch_cpu.so" "${torch_dir}/lib/libc10.so")
  foreach(lib IN LISTS libs)
    if(NOT EXISTS "${lib}")
      message(FATAL_ERROR "sluice_import_torch_wheel: ${lib} is missing (is ${torch_dir} a torch wheel?)")
    endif()
  endforeach()
  # torch/lib, and the CUDA runtime wheels' lib folders next to torch.
  get_filename_component(site_packages "${torch_dir}" DIRECTORY)
  file(GLOB nvidia_libs LIST_DIRECTORIES true "${site_packages}/nvidia/*/lib")
  set(rpath "${torch_dir}/lib" ${nvidia_libs})
  list(JOIN rpath ":" rpath)

  add_library(sluice::torch INTERFACE IMPORTED GLOBAL)
  set_target_properties(sluice::torch PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${torch_dir}/include;${torch_dir}/include/torch/csrc/api/include"
    INTERFACE_COMPILE_DEFINITIONS "_GLIBCXX_USE_CXX11_ABI=${cxx11_abi}"
    INTERFACE_COMPILE_FEATURES cxx_std_20
    INTERFACE_LINK_LIBRARIES "sluice::sluice;${libs}"
    INTERFACE_LINK_OPTIONS "LINKER:-rpath,${rpath}")
  set(SLUICE_TORCH_DIR "${torch_dir}" PARENT_SCOPE)
endfunction()
