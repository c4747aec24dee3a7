#pragma once
// Shared state of the multi-rank tests (cagcl_mpi_tests, run under mpirun by CTest): the process's Runtime
// and one MPI communicator over all ranks, created by main.cpp.
#include <memory>

#include "comm/communicator.hpp"
#include "launch/runtime.hpp"

namespace cagcl::mpi_test {

const Runtime& runtime();
std::shared_ptr<Communicator> world();

}  // namespace cagcl::mpi_test
