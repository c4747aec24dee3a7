#include <torch/torch.h>

#include "comm/make_communicator.hpp"

#include <mpi.h>

#include "comm/mpi_communicator.hpp"
#include "comm/nccl_communicator.hpp"
#include "comm/self_communicator.hpp"
#include "comm/sequence_checked_communicator.hpp"
#include "common/error.hpp"

namespace cagcl {
namespace {

bool mpi_running() {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  return initialized && !finalized;
}

std::shared_ptr<Communicator> make_backend(const torch::Device& device, const CommOptions& options) {
  if (device.is_cpu()) {
    if (mpi_running()) return std::make_shared<MpiCommunicator>(options);
    return std::make_shared<SelfCommunicator>(torch::kCPU);
  }
  if (device.is_cuda()) {
#if CAGCL_WITH_NCCL
    // The bootstrap is only needed while the NCCL id travels; MPI's worker thread ends with it.
    std::shared_ptr<Communicator> bootstrap;
    if (mpi_running())
      bootstrap = std::make_shared<MpiCommunicator>(options);
    else
      bootstrap = std::make_shared<SelfCommunicator>(torch::kCPU);
    return std::make_shared<NcclCommunicator>(*bootstrap, device.has_index() ? device.index() : 0, options);
#else
    throw CommError("make_communicator(" + device.str() + "): built without NCCL (CAGCL_WITH_NCCL off)");
#endif
  }
  throw CommError("make_communicator(" + device.str() + "): no communicator backend for this device type");
}

}  // namespace

std::shared_ptr<Communicator> make_communicator(const torch::Device& device, const CommOptions& options) {
  auto comm = make_backend(device, options);
  if (options.debug_sequence) return std::make_shared<SequenceCheckedCommunicator>(std::move(comm));
  return comm;
}

}  // namespace cagcl
