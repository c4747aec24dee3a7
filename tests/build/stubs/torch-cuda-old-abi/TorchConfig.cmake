# Stub of a LibTorch built with CUDA and the old C++ ABI, as pip torch <= 2.6 is: only what cagcl's CMake
# modules read (the torch_cuda target, TORCH_CUDA_LIBRARIES, TORCH_CXX_FLAGS). For the configure tests of
# tests/build; nothing is compiled against it.
if(NOT TARGET torch_cuda)
  add_library(torch_cuda INTERFACE IMPORTED)
endif()
set(TORCH_CUDA_LIBRARIES torch_cuda)
set(TORCH_LIBRARIES torch_cuda)
set(TORCH_CXX_FLAGS "-D_GLIBCXX_USE_CXX11_ABI=0")
set(Torch_FOUND TRUE)
