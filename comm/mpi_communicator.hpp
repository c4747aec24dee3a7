#pragma once
// Collectives over MPI for CPU tensors (float32/64, int32/64, uint8, int8, bool). Like c10d's
// ProcessGroupMPI, every operation runs on one worker thread of this communicator, in submission order, as
// a blocking MPI call on a duplicate of the parent communicator: the tuned blocking algorithms run at full
// speed, the caller's thread keeps computing (real overlap without MPI's weak async progress), and the order
// of collectives on the wire is the order of the calls. Needs MPI_THREAD_MULTIPLE (launch/runtime does it).
// mpi.h stays out of this header: the handle is held by the implementation.
#include <memory>
#include <thread>

#include "comm/communicator.hpp"

namespace cagcl {

class MpiCommunicator : public Communicator {
 public:
  // Duplicates MPI_COMM_WORLD. MPI must be initialised (launch::Runtime) with MPI_THREAD_MULTIPLE.
  explicit MpiCommunicator(const CommOptions& options = {});
  ~MpiCommunicator() override;
  MpiCommunicator(const MpiCommunicator&) = delete;
  MpiCommunicator& operator=(const MpiCommunicator&) = delete;

  int rank() const override;
  int size() const override;
  std::string backend() const override { return "mpi"; }
  torch::Device device() const override { return torch::kCPU; }

  WorkPtr all_reduce_async(const torch::Tensor& tensor, ReduceOp op) override;
  WorkPtr all_gather_async(const torch::Tensor& input, const torch::Tensor& output) override;
  WorkPtr reduce_scatter_async(const torch::Tensor& input, const torch::Tensor& output, ReduceOp op) override;
  WorkPtr broadcast_async(const torch::Tensor& tensor, int root) override;
  void barrier() override;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;  // shared with the worker, which may outlive us on an abort path
  std::thread worker_;
};

}  // namespace cagcl
