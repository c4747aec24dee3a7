#pragma once
// The one place that picks a backend: a CPU device gets MpiCommunicator (SelfCommunicator when MPI is not
// initialised, e.g. unit tests), a CUDA device NcclCommunicator bootstrapped over MPI (or over a
// SelfCommunicator without MPI). With options.debug_sequence the result checks the order of collectives.
#include <memory>

#include "comm/communicator.hpp"

namespace cagcl {

std::shared_ptr<Communicator> make_communicator(const torch::Device& device, const CommOptions& options = {});

}  // namespace cagcl
