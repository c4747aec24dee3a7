#pragma once
// A world of one rank without MPI: every collective is a copy or a no-op. Lets single-process runs, unit
// tests and the NCCL bootstrap of a one-GPU job use the same code path as a distributed run.
#include "comm/communicator.hpp"

namespace cagcl {

class SelfCommunicator : public Communicator {
 public:
  explicit SelfCommunicator(torch::Device device = torch::kCPU) : device_(device) {}
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::string backend() const override { return "self"; }
  torch::Device device() const override { return device_; }

  WorkPtr all_reduce_async(const torch::Tensor& tensor, ReduceOp op) override;
  WorkPtr all_gather_async(const torch::Tensor& input, const torch::Tensor& output) override;
  WorkPtr reduce_scatter_async(const torch::Tensor& input, const torch::Tensor& output, ReduceOp op) override;
  WorkPtr broadcast_async(const torch::Tensor& tensor, int root) override;
  void barrier() override {}

 private:
  torch::Device device_;
};

}  // namespace cagcl
