# One configure test (cmake -P): configures tests/build/project against a stub LibTorch in a fresh folder under
# WORK and checks the exit code and the messages. Variables: CASE (below), SOURCE_DIR (the repository),
# WORK (this test's own scratch folder), PROBE_LIBRARY (a system library of the new C++ ABI: Debian's
# yaml-cpp), GENERATOR, MAKE_PROGRAM, CXX_COMPILER and NM (given, since the PATH is not searched).
#
# Only the search paths each case names count: CMake's system paths and the environment's CUDA and NCCL
# variables are off, so that a machine's /usr/local/cuda (which has NCCL here) cannot make a refusal pass.
set(stubs "${SOURCE_DIR}/tests/build/stubs")
set(env_args --unset=NCCL_ROOT --unset=NCCL_HOME --unset=CUDA_HOME --unset=CUDA_PATH --unset=CUDAToolkit_ROOT)
set(args -DCAGCL_SOURCE_DIR=${SOURCE_DIR} -DCAGCL_CUDA_ROOT=${stubs}/cuda-without-nccl
         -DCMAKE_FIND_USE_CMAKE_SYSTEM_PATH=OFF -DCMAKE_FIND_USE_SYSTEM_ENVIRONMENT_PATH=OFF
         -DCMAKE_FIND_USE_CMAKE_ENVIRONMENT_PATH=OFF -DCAGCL_ABI_PROBE_LIBRARIES=${PROBE_LIBRARY}
         -DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM} -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCAGCL_NM=${NM})
set(expect_rc 0)
set(expect "")

if(CASE STREQUAL "refuses_cuda_torch_without_nccl")
  list(APPEND args -DTorch_DIR=${stubs}/torch-cuda-cxx11)
  set(expect_rc 1)
  set(expect "this LibTorch has CUDA" "NCCL was not found" "cuda-without-nccl" "-DNCCL_ROOT=DIR" "NCCL_HOME"
             "-DCUDAToolkit_ROOT=DIR" "-DCAGCL_NCCL_FROM_PYTHON=ON")
elseif(CASE STREQUAL "refuses_old_abi_torch")
  list(APPEND args -DTorch_DIR=${stubs}/torch-cuda-old-abi -DNCCL_ROOT=${stubs}/nccl)
  set(expect_rc 1)
  set(expect "C\\+\\+ ABI mismatch" "_GLIBCXX_USE_CXX11_ABI=0" "read from [^ ]*yaml-cpp" "'cxx11 ABI'"
             "pip torch 2.7 or later")
elseif(CASE STREQUAL "old_abi_torch_with_old_abi_system_libraries")
  # The way out the refusal names: libraries rebuilt with the old ABI, stated with CAGCL_SYSTEM_CXX11_ABI=0.
  list(APPEND args -DTorch_DIR=${stubs}/torch-cuda-old-abi -DNCCL_ROOT=${stubs}/nccl -DCAGCL_SYSTEM_CXX11_ABI=0)
  set(expect "C\\+\\+ ABI 0 in LibTorch and the system libraries")
elseif(CASE STREQUAL "finds_nccl_through_NCCL_ROOT")
  list(APPEND args -DTorch_DIR=${stubs}/torch-cuda-cxx11 -DNCCL_ROOT=${stubs}/nccl)
  set(expect "LibTorch has CUDA" "NCCL backend ON \\(${stubs}/nccl/lib/libnccl.so"
             "C\\+\\+ ABI 1 in LibTorch and the system libraries" "cagcl-build-check: configured \\(NCCL ON")
elseif(CASE STREQUAL "finds_nccl_through_NCCL_HOME_environment")
  set(env_args --unset=NCCL_ROOT --unset=CUDA_HOME --unset=CUDA_PATH --unset=CUDAToolkit_ROOT
               NCCL_HOME=${stubs}/nccl)
  list(APPEND args -DTorch_DIR=${stubs}/torch-cuda-cxx11)
  set(expect "NCCL backend ON \\(${stubs}/nccl/lib/libnccl.so")
elseif(CASE STREQUAL "finds_nccl_wheel_beside_pip_torch")
  # pip's layout: <site-packages>/torch/share/cmake/Torch and the nvidia-nccl wheel's <site-packages>/nvidia/nccl,
  # which has lib/libnccl.so.2 and no libnccl.so.
  set(site "${WORK}/venv/lib/python3.12/site-packages")
  file(REMOVE_RECURSE "${WORK}/venv")
  file(COPY "${stubs}/torch-cuda-cxx11/TorchConfig.cmake" DESTINATION "${site}/torch/share/cmake/Torch")
  file(COPY "${stubs}/nccl/include/nccl.h" DESTINATION "${site}/nvidia/nccl/include")
  file(WRITE "${site}/nvidia/nccl/lib/libnccl.so.2" "")
  list(APPEND args -DTorch_DIR=${site}/torch/share/cmake/Torch)
  set(expect "NCCL backend ON \\(${site}/nvidia/nccl/lib/libnccl.so.2")
else()
  message(FATAL_ERROR "configure_case.cmake: unknown CASE '${CASE}'")
endif()

set(build "${WORK}/build")
file(REMOVE_RECURSE "${build}")
execute_process(COMMAND ${CMAKE_COMMAND} -E env ${env_args}
                        ${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/build/project -B ${build} -G ${GENERATOR} ${args}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
set(log "${out}${err}")
# CMake wraps FATAL_ERROR text at the terminal width: join the lines before matching.
string(REGEX REPLACE "\n +" " " joined "${log}")
set(failures "")
if(expect_rc EQUAL 0 AND NOT rc EQUAL 0)
  list(APPEND failures "configure failed (exit ${rc}), expected success")
elseif(NOT expect_rc EQUAL 0 AND rc EQUAL 0)
  list(APPEND failures "configure succeeded, expected a refusal")
endif()
foreach(pattern ${expect})
  if(NOT joined MATCHES "${pattern}")
    list(APPEND failures "no match for '${pattern}'")
  endif()
endforeach()
if(failures)
  string(REPLACE ";" "\n  " failures "${failures}")
  message(FATAL_ERROR "${CASE}:\n  ${failures}\n---- configure output ----\n${log}")
endif()
file(REMOVE_RECURSE "${WORK}")
message(STATUS "${CASE}: ok (exit ${rc})")
