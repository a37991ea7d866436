# sluice_import_torch_wheel(): an imported target sluice::torch for the libtorch
# inside a PyPI torch wheel, for sluice/torch.hpp.
#
#   find_package(sluice CONFIG REQUIRED)           # defines this function
#   sluice_import_torch_wheel(PYTHON /path/to/venv/bin/python [CUDA AUTO|ON|OFF] [RELOCATABLE])
#   target_link_libraries(app PRIVATE sluice::torch)   # sluice::sluice + libtorch, C++20
#
# Why not find_package(Torch): the PyPI wheel is the CUDA build, and its
# TorchConfig.cmake fails without a CUDA toolkit. Its libraries work without
# one when linked directly: libtorch_cpu.so and libc10.so, and for tensors on a
# GPU libtorch_cuda.so and libc10_cuda.so, with an rpath to torch/lib and to the
# CUDA runtime libraries that the nvidia-* wheels put in site-packages/nvidia/*/lib
# (libtorch_cpu.so needs libcudart at load time, even on a machine without a
# GPU). A libtorch that does have a working TorchConfig.cmake can be used the
# usual way instead:
#   find_package(Torch REQUIRED)
#   target_link_libraries(app PRIVATE sluice::sluice ${TORCH_LIBRARIES})
#
# PYTHON      defaults to SLUICE_PYTHON, then Python3_EXECUTABLE, then python3 on PATH.
# CUDA        AUTO (default): link the CUDA libraries when the wheel has them (a CPU-only
#             wheel, from download.pytorch.org/whl/cpu, has not); ON: fail without them;
#             OFF: CPU only. They are linked with --no-as-needed: nothing in a program
#             calls them directly, but loading them registers torch's CUDA backend, so
#             that torch::cuda::is_available() and tensor.to(torch::kCUDA) work.
# RELOCATABLE leave the wheel's folders out of the programs' runpath (by default they
#             get the absolute paths of this virtualenv, and stop working when it moves
#             or is deleted); run them with LD_LIBRARY_PATH=${SLUICE_TORCH_LIBRARY_PATH}.
#
# Sets in the caller's scope: SLUICE_TORCH_DIR (torch's package folder),
# SLUICE_TORCH_CUDA (TRUE when the CUDA libraries are linked) and
# SLUICE_TORCH_LIBRARY_PATH (the wheel's library folders, ':'-separated).

include("${CMAKE_CURRENT_LIST_DIR}/sluiceWheelPython.cmake")

function(sluice_import_torch_wheel)
  if(TARGET sluice::torch)
    return()
  endif()
  cmake_parse_arguments(arg "RELOCATABLE" "PYTHON;CUDA" "" ${ARGN})
  if(NOT DEFINED arg_CUDA)
    set(arg_CUDA AUTO)
  endif()
  if(NOT arg_CUDA MATCHES "^(AUTO|ON|OFF)$")
    message(FATAL_ERROR "sluice_import_torch_wheel: CUDA is AUTO, ON or OFF, not '${arg_CUDA}'")
  endif()
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

  set(cuda_libs "${torch_dir}/lib/libtorch_cuda.so" "${torch_dir}/lib/libc10_cuda.so")
  set(cuda FALSE)
  if(NOT arg_CUDA STREQUAL "OFF")
    set(cuda TRUE)
    foreach(lib IN LISTS cuda_libs)
      if(NOT EXISTS "${lib}")
        set(cuda FALSE)
        if(arg_CUDA STREQUAL "ON")
          message(FATAL_ERROR "sluice_import_torch_wheel(CUDA ON): ${lib} is missing: "
                              "the torch wheel of '${python}' is a CPU-only build")
        endif()
      endif()
    endforeach()
  endif()
  if(cuda)
    list(APPEND libs "-Wl,--no-as-needed" ${cuda_libs} "-Wl,--as-needed")
  endif()

  # torch/lib, and the CUDA runtime wheels' lib folders next to torch.
  get_filename_component(site_packages "${torch_dir}" DIRECTORY)
  file(GLOB nvidia_libs LIST_DIRECTORIES true "${site_packages}/nvidia/*/lib")
  set(library_path "${torch_dir}/lib" ${nvidia_libs})
  list(JOIN library_path ":" library_path)

  add_library(sluice::torch INTERFACE IMPORTED GLOBAL)
  set_target_properties(sluice::torch PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${torch_dir}/include;${torch_dir}/include/torch/csrc/api/include"
    INTERFACE_COMPILE_DEFINITIONS "_GLIBCXX_USE_CXX11_ABI=${cxx11_abi}"
    INTERFACE_COMPILE_FEATURES cxx_std_20
    INTERFACE_LINK_LIBRARIES "sluice::sluice;${libs}")
  if(NOT arg_RELOCATABLE)
    set_target_properties(sluice::torch PROPERTIES INTERFACE_LINK_OPTIONS "LINKER:-rpath,${library_path}")
  endif()
  set(SLUICE_TORCH_DIR "${torch_dir}" PARENT_SCOPE)
  set(SLUICE_TORCH_CUDA ${cuda} PARENT_SCOPE)
  set(SLUICE_TORCH_LIBRARY_PATH "${library_path}" PARENT_SCOPE)
endfunction()
