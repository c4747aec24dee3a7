#include <torch/torch.h>

#include "comm/self_communicator.hpp"

#include "common/error.hpp"

namespace cagcl {

WorkPtr SelfCommunicator::all_reduce_async(const torch::Tensor& tensor, ReduceOp op) {
  check_tensor(CollectiveKind::all_reduce, tensor);
  if (op == ReduceOp::avg && !tensor.is_floating_point())
    throw CommError(context(CollectiveKind::all_reduce, tensor) + ": avg needs a floating-point tensor");
  return std::make_shared<CompletedWork>();
}

WorkPtr SelfCommunicator::all_gather_async(const torch::Tensor& input, const torch::Tensor& output) {
  check_tensor(CollectiveKind::all_gather, input);
  check_tensor(CollectiveKind::all_gather, output);
  if (output.numel() != input.numel())
    throw CommError(context(CollectiveKind::all_gather, input) + ": output must hold " + std::to_string(input.numel()) +
                    " elements");
  output.view(-1).copy_(input.view(-1));
  return std::make_shared<CompletedWork>();
}

WorkPtr SelfCommunicator::reduce_scatter_async(const torch::Tensor& input, const torch::Tensor& output, ReduceOp op) {
  check_tensor(CollectiveKind::reduce_scatter, input);
  check_tensor(CollectiveKind::reduce_scatter, output);
  if (output.numel() != input.numel())
    throw CommError(context(CollectiveKind::reduce_scatter, input) + ": output must hold " +
                    std::to_string(input.numel()) + " elements");
  if (op == ReduceOp::avg && !input.is_floating_point())
    throw CommError(context(CollectiveKind::reduce_scatter, input) + ": avg needs a floating-point tensor");
  output.view(-1).copy_(input.view(-1));
  return std::make_shared<CompletedWork>();
}

WorkPtr SelfCommunicator::broadcast_async(const torch::Tensor& tensor, int root) {
  check_tensor(CollectiveKind::broadcast, tensor);
  if (root != 0)
    throw CommError(context(CollectiveKind::broadcast, tensor) + ": root " + std::to_string(root) + " out of range");
  return std::make_shared<CompletedWork>();
}

}  // namespace cagcl
