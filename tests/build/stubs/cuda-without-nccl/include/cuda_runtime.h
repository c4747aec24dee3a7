// Stub CUDA toolkit without NCCL for the configure tests of tests/build: found, never compiled.
