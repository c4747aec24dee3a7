#pragma once
// Collectives over NCCL for CUDA tensors (built when CMake finds nccl.h: CAGCL_WITH_NCCL). The unique id is
// made by rank 0 and broadcast over a CPU bootstrap Communicator (MPI, or SelfCommunicator for one rank), so
// this backend never includes mpi.h. Every collective runs on the communicator's own CUDA stream, ordered
// against the caller's compute stream with events: record on compute -> comm stream waits -> NCCL call ->
// record on comm; Work::wait() makes the compute stream wait for that event (it does not block the host).
// The compute stream is LibTorch's current CUDA stream where LibTorch has CUDA (CAGCL_TORCH_CUDA), else the
// legacy default stream. Tensors are CUDA tensors on this communicator's device.
// The NCCL communicator is non-blocking (ncclConfig_t.blocking = 0): its init, and any call that returns
// ncclInProgress, is polled and aborted after comm.failure_timeout_s (a CommError naming it); a watchdog thread
// (comm/nccl_watchdog.hpp) aborts it and ends the process when a collective outlasts that timeout or NCCL reports
// an asynchronous error.
#if CAGCL_WITH_NCCL
#include <memory>

#include "comm/communicator.hpp"

namespace cagcl {

// Number of CUDA devices the runtime sees; 0 (never throws) when there is no driver or no GPU.
int cuda_device_count();

class NcclCommunicator : public Communicator {
 public:
  // Collective over `bootstrap` (all its ranks construct together); `device_index` is this rank's GPU.
  NcclCommunicator(Communicator& bootstrap, int device_index, const CommOptions& options = {});
  ~NcclCommunicator() override;
  NcclCommunicator(const NcclCommunicator&) = delete;
  NcclCommunicator& operator=(const NcclCommunicator&) = delete;

  int rank() const override;
  int size() const override;
  std::string backend() const override { return "nccl"; }
  torch::Device device() const override;

  WorkPtr all_reduce_async(const torch::Tensor& tensor, ReduceOp op) override;
  WorkPtr all_gather_async(const torch::Tensor& input, const torch::Tensor& output) override;
  WorkPtr reduce_scatter_async(const torch::Tensor& input, const torch::Tensor& output, ReduceOp op) override;
  WorkPtr broadcast_async(const torch::Tensor& tensor, int root) override;
  // Host-blocking: returns when every rank reached it and this device's queued collectives are done.
  void barrier() override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cagcl
#endif
