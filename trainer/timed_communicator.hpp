#pragma once
// A Communicator decorator that adds up the time callers spend blocked in Work::wait() and barrier(): the
// "communication time" of the step report, whoever calls the collectives (the loss's gathers, the gradient
// sync, the optimizer). Time hidden behind computation (a bucket all-reduced during backward) is not counted.
#include <atomic>
#include <memory>

#include "comm/communicator.hpp"

namespace cagcl::trainer {

class TimedCommunicator : public Communicator {
 public:
  explicit TimedCommunicator(std::shared_ptr<Communicator> inner);

  int rank() const override { return inner_->rank(); }
  int size() const override { return inner_->size(); }
  std::string backend() const override { return inner_->backend(); }
  torch::Device device() const override { return inner_->device(); }
  WorkPtr all_reduce_async(const torch::Tensor& tensor, ReduceOp op) override;
  WorkPtr all_gather_async(const torch::Tensor& input, const torch::Tensor& output) override;
  WorkPtr reduce_scatter_async(const torch::Tensor& input, const torch::Tensor& output, ReduceOp op) override;
  WorkPtr broadcast_async(const torch::Tensor& tensor, int root) override;
  void barrier() override;

  // Seconds blocked since the last call (and resets the count).
  double take_blocked_seconds();

 private:
  WorkPtr wrap(WorkPtr work);
  std::shared_ptr<Communicator> inner_;
  std::shared_ptr<std::atomic<int64_t>> blocked_ns_;
};

}  // namespace cagcl::trainer
