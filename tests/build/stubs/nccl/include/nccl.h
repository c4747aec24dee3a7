// Stub NCCL header for the configure tests of tests/build: found, never compiled.
