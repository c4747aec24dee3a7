# Whether the LibTorch found has CUDA (users' GPU clusters; Debian's 1.13 is CPU-only): NcclCommunicator then
# takes LibTorch's current CUDA stream and tells its caching allocator about the communication stream, and the
# trainer reports the CUDA caching allocator's figures (docs/gpu.md). Included after find_package(Torch).
# Sets CAGCL_TORCH_CUDA (ON/OFF).
if(TARGET torch_cuda OR TORCH_CUDA_LIBRARIES)
  set(CAGCL_TORCH_CUDA ON)
  message(STATUS "cagcl: LibTorch has CUDA (CAGCL_TORCH_CUDA)")
else()
  set(CAGCL_TORCH_CUDA OFF)
endif()
