#include <torch/torch.h>

#include "trainer/timed_communicator.hpp"

#include <chrono>

namespace cagcl::trainer {
namespace {

using Clock = std::chrono::steady_clock;

int64_t since_ns(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
}

class TimedWork : public Work {
 public:
  TimedWork(WorkPtr inner, std::shared_ptr<std::atomic<int64_t>> blocked)
      : inner_(std::move(inner)), blocked_(std::move(blocked)) {}
  void wait() override {
    const auto start = Clock::now();
    inner_->wait();
    *blocked_ += since_ns(start);
  }
  bool is_completed() override { return inner_->is_completed(); }

 private:
  WorkPtr inner_;
  std::shared_ptr<std::atomic<int64_t>> blocked_;
};

}  // namespace

TimedCommunicator::TimedCommunicator(std::shared_ptr<Communicator> inner)
    : inner_(std::move(inner)), blocked_ns_(std::make_shared<std::atomic<int64_t>>(0)) {}

WorkPtr TimedCommunicator::wrap(WorkPtr work) { return std::make_shared<TimedWork>(std::move(work), blocked_ns_); }

WorkPtr TimedCommunicator::all_reduce_async(const torch::Tensor& tensor, ReduceOp op) {
  return wrap(inner_->all_reduce_async(tensor, op));
}
WorkPtr TimedCommunicator::all_gather_async(const torch::Tensor& input, const torch::Tensor& output) {
  return wrap(inner_->all_gather_async(input, output));
}
WorkPtr TimedCommunicator::reduce_scatter_async(const torch::Tensor& input, const torch::Tensor& output, ReduceOp op) {
  return wrap(inner_->reduce_scatter_async(input, output, op));
}
WorkPtr TimedCommunicator::broadcast_async(const torch::Tensor& tensor, int root) {
  return wrap(inner_->broadcast_async(tensor, root));
}
void TimedCommunicator::barrier() {
  const auto start = Clock::now();
  inner_->barrier();
  *blocked_ns_ += since_ns(start);
}

double TimedCommunicator::take_blocked_seconds() { return static_cast<double>(blocked_ns_->exchange(0)) * 1e-9; }

}  // namespace cagcl::trainer
