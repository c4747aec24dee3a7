# NCCL and the CUDA runtime for comm/nccl_communicator.cpp (docs/gpu.md, "NCCL discovery"). Included after
# CagclTorchCuda.cmake. NCCL compiles and links without a GPU, so it is built wherever it is found.
#
# Searched in this order (the first folder holding nccl.h wins; the library is then looked for beside it):
#   1. NCCL_ROOT, NCCL_HOME: cache variables or environment variables (an NCCL install, or the folder of the
#      nvidia-nccl pip wheel, .../site-packages/nvidia/nccl);
#   2. the CUDA toolkit: CUDAToolkit_ROOT (cache or environment), CUDA_HOME and CUDA_PATH (environment), then
#      CAGCL_CUDA_ROOT (default /usr/local/cuda);
#   3. the nvidia-nccl pip wheel in Python's site-packages: the site-packages that Torch_DIR lies in (pip torch),
#      or, with CAGCL_NCCL_FROM_PYTHON=ON, the one of the python3 found on the PATH;
#   4. the compiler's and CMake's default paths (a distribution's libnccl-dev).
# NCCL_INCLUDE_DIR and NCCL_LIBRARY are cache entries: set them to skip the search, and clear them (or use a
# fresh build folder) after changing NCCL_ROOT.
#
# CAGCL_WITH_NCCL: AUTO (build the NCCL backend when NCCL is found), ON (fail when it is not), OFF. A LibTorch
# with CUDA needs NCCL (every GPU run communicates through it), so configure fails when it is missing: a build
# without it would fail only at run time, after the job has waited in the queue.
# Sets CAGCL_WITH_NCCL_ENABLED, NCCL_INCLUDE_DIR, NCCL_LIBRARY and, for a CPU LibTorch, CAGCL_CUDA_INCLUDE_DIR
# and CUDART_LIBRARY (a CUDA LibTorch brings the CUDA runtime itself).

set(CAGCL_CUDA_ROOT "/usr/local/cuda" CACHE PATH "CUDA toolkit root searched for nccl.h and the CUDA runtime")
set(CAGCL_WITH_NCCL AUTO CACHE STRING "Build the NCCL communicator: AUTO (when NCCL is found), ON, OFF")
set_property(CACHE CAGCL_WITH_NCCL PROPERTY STRINGS AUTO ON OFF)
option(CAGCL_NCCL_FROM_PYTHON "Look for the nvidia-nccl pip wheel in the site-packages of python3" OFF)
set(NCCL_ROOT "" CACHE PATH "NCCL install folder (include/nccl.h, lib/libnccl.so); also read from the environment")
set(NCCL_HOME "" CACHE PATH "Same as NCCL_ROOT (the name some clusters' modules export)")

# The folders to search, in order, into `out`.
function(cagcl_nccl_search_roots out)
  set(roots "")
  foreach(var NCCL_ROOT NCCL_HOME)
    if(NOT "${${var}}" STREQUAL "")
      list(APPEND roots "${${var}}")
    endif()
    if(DEFINED ENV{${var}} AND NOT "$ENV{${var}}" STREQUAL "")
      list(APPEND roots "$ENV{${var}}")
    endif()
  endforeach()
  if(CUDAToolkit_ROOT)
    list(APPEND roots "${CUDAToolkit_ROOT}")
  endif()
  foreach(var CUDAToolkit_ROOT CUDA_HOME CUDA_PATH)
    if(DEFINED ENV{${var}} AND NOT "$ENV{${var}}" STREQUAL "")
      list(APPEND roots "$ENV{${var}}")
    endif()
  endforeach()
  list(APPEND roots "${CAGCL_CUDA_ROOT}")
  # pip torch: Torch_DIR is <site-packages>/torch/share/cmake/Torch, and the wheels of NCCL and the CUDA
  # runtime lie beside torch, under <site-packages>/nvidia/.
  set(site_dirs "")
  if(Torch_DIR MATCHES "^(.*/(site|dist)-packages)/torch/")
    list(APPEND site_dirs "${CMAKE_MATCH_1}")
  endif()
  if(CAGCL_NCCL_FROM_PYTHON)
    find_package(Python3 COMPONENTS Interpreter REQUIRED)
    execute_process(COMMAND ${Python3_EXECUTABLE} -c "import sysconfig; print(sysconfig.get_paths()['purelib'])"
                    OUTPUT_VARIABLE purelib OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
    if(rc EQUAL 0 AND purelib)
      list(APPEND site_dirs "${purelib}")
    endif()
  endif()
  foreach(site ${site_dirs})
    # nvidia/nccl for the CUDA 12 wheels; the CUDA 13 ones may put NCCL under nvidia/cu13.
    file(GLOB cuda_wheel_dirs LIST_DIRECTORIES true "${site}/nvidia/cu[0-9]*")
    list(APPEND roots "${site}/nvidia/nccl" ${cuda_wheel_dirs} "${site}/nvidia/cuda_runtime")
  endforeach()
  list(REMOVE_DUPLICATES roots)
  set(${out} "${roots}" PARENT_SCOPE)
endfunction()

set(CAGCL_WITH_NCCL_ENABLED OFF)
if(NOT CAGCL_WITH_NCCL STREQUAL "OFF")
  cagcl_nccl_search_roots(_cagcl_nccl_roots)
  # Each root on its own, with no default paths, so that the first root holding nccl.h also gives the library
  # (a header of one NCCL and the library of another fail at run time with a version mismatch).
  if(NOT NCCL_INCLUDE_DIR)
    foreach(_root ${_cagcl_nccl_roots})
      find_path(NCCL_INCLUDE_DIR nccl.h PATHS "${_root}" PATH_SUFFIXES include NO_DEFAULT_PATH)
      if(NCCL_INCLUDE_DIR)
        get_filename_component(_cagcl_nccl_found_root "${NCCL_INCLUDE_DIR}" DIRECTORY)
        break()
      endif()
    endforeach()
    if(NOT NCCL_INCLUDE_DIR)
      find_path(NCCL_INCLUDE_DIR nccl.h)
    endif()
  endif()
  if(NCCL_INCLUDE_DIR AND NOT NCCL_LIBRARY)
    get_filename_component(_cagcl_nccl_found_root "${NCCL_INCLUDE_DIR}" DIRECTORY)
    # The pip wheel ships only libnccl.so.2 (no libnccl.so link).
    find_library(NCCL_LIBRARY NAMES nccl libnccl.so.2 PATHS "${_cagcl_nccl_found_root}"
                 PATH_SUFFIXES lib64 lib lib/x86_64-linux-gnu NO_DEFAULT_PATH)
    find_library(NCCL_LIBRARY NAMES nccl libnccl.so.2)
  endif()

  if(NCCL_INCLUDE_DIR AND NCCL_LIBRARY AND NOT CAGCL_TORCH_CUDA)
    # A CPU LibTorch brings no CUDA runtime: nccl.h includes cuda_runtime.h, and the communicator calls it.
    find_path(CAGCL_CUDA_INCLUDE_DIR cuda_runtime.h PATHS ${_cagcl_nccl_roots} PATH_SUFFIXES include
              NO_DEFAULT_PATH)
    find_library(CUDART_LIBRARY NAMES cudart libcudart.so.13 libcudart.so.12 PATHS ${_cagcl_nccl_roots}
                 PATH_SUFFIXES lib64 lib NO_DEFAULT_PATH)
  endif()

  string(REPLACE ";" ", " _cagcl_nccl_searched "${_cagcl_nccl_roots}")
  if(NCCL_INCLUDE_DIR AND NCCL_LIBRARY AND (CAGCL_TORCH_CUDA OR (CAGCL_CUDA_INCLUDE_DIR AND CUDART_LIBRARY)))
    set(CAGCL_WITH_NCCL_ENABLED ON)
    message(STATUS "cagcl: NCCL backend ON (${NCCL_LIBRARY}, headers ${NCCL_INCLUDE_DIR})")
  elseif(CAGCL_TORCH_CUDA)
    message(FATAL_ERROR
      "cagcl: this LibTorch has CUDA (${Torch_DIR}), but NCCL was not found (nccl.h and libnccl), and every "
      "GPU run communicates through NCCL. Searched: ${_cagcl_nccl_searched}, then the default paths. "
      "Point at NCCL with -DNCCL_ROOT=DIR (or the environment variable NCCL_ROOT or NCCL_HOME), at a CUDA "
      "toolkit that ships it with -DCUDAToolkit_ROOT=DIR, or use the nvidia-nccl pip wheel of python3 with "
      "-DCAGCL_NCCL_FROM_PYTHON=ON (docs/gpu.md).")
  elseif(NCCL_INCLUDE_DIR AND NCCL_LIBRARY)
    set(_cagcl_nccl_why "NCCL at ${NCCL_LIBRARY}, but no CUDA runtime (cuda_runtime.h, libcudart) in ${_cagcl_nccl_searched}")
  else()
    set(_cagcl_nccl_why "no nccl.h and libnccl in ${_cagcl_nccl_searched} or the default paths")
  endif()
  if(NOT CAGCL_WITH_NCCL_ENABLED AND CAGCL_WITH_NCCL STREQUAL "ON")
    message(FATAL_ERROR "cagcl: CAGCL_WITH_NCCL=ON, but ${_cagcl_nccl_why}. Point at NCCL with -DNCCL_ROOT=DIR "
                        "or at the CUDA toolkit with -DCUDAToolkit_ROOT=DIR (docs/gpu.md).")
  elseif(NOT CAGCL_WITH_NCCL_ENABLED)
    message(STATUS "cagcl: NCCL backend OFF (${_cagcl_nccl_why})")
  endif()
else()
  if(CAGCL_TORCH_CUDA)
    message(FATAL_ERROR "cagcl: CAGCL_WITH_NCCL=OFF with a LibTorch that has CUDA (${Torch_DIR}): every GPU run "
                        "communicates through NCCL, so such a build could only fail at run time. Configure with "
                        "NCCL (docs/gpu.md) or against a CPU LibTorch.")
  endif()
  message(STATUS "cagcl: NCCL backend OFF (CAGCL_WITH_NCCL=OFF)")
endif()

# Applies the NCCL backend to `target` (the LibTorch library).
function(cagcl_link_nccl target)
  if(NOT CAGCL_WITH_NCCL_ENABLED)
    return()
  endif()
  target_include_directories(${target} SYSTEM PUBLIC ${NCCL_INCLUDE_DIR})
  target_link_libraries(${target} PUBLIC ${NCCL_LIBRARY})
  if(NOT CAGCL_TORCH_CUDA)
    target_include_directories(${target} SYSTEM PUBLIC ${CAGCL_CUDA_INCLUDE_DIR})
    target_link_libraries(${target} PUBLIC ${CUDART_LIBRARY})
  endif()
  target_compile_definitions(${target} PUBLIC CAGCL_WITH_NCCL=1)
endfunction()
