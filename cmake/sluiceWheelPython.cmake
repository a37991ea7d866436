# _sluice_wheel_python(<out> <given>): the Python interpreter whose wheel
# (torch, tensorflow) to use: <given>, else SLUICE_PYTHON, else
# Python3_EXECUTABLE, else python3 on PATH.
include_guard(GLOBAL)

function(_sluice_wheel_python out given)
  if(given)
    set(python "${given}")
  elseif(SLUICE_PYTHON)
    set(python "${SLUICE_PYTHON}")
  elseif(Python3_EXECUTABLE)
    set(python "${Python3_EXECUTABLE}")
  else()
    find_program(_sluice_python3 NAMES python3 python REQUIRED)
    set(python "${_sluice_python3}")
  endif()
  set(${out} "${python}" PARENT_SCOPE)
endfunction()
