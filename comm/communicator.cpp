#include <torch/torch.h>

#include "comm/communicator.hpp"

#include "common/error.hpp"

namespace cagcl {

std::string to_string(ReduceOp op) {
  switch (op) {
    case ReduceOp::sum: return "sum";
    case ReduceOp::avg: return "avg";
    case ReduceOp::max: return "max";
    case ReduceOp::min: return "min";
  }
  return "?";
}

std::string to_string(CollectiveKind kind) {
  switch (kind) {
    case CollectiveKind::all_reduce: return "all_reduce";
    case CollectiveKind::all_gather: return "all_gather";
    case CollectiveKind::reduce_scatter: return "reduce_scatter";
    case CollectiveKind::broadcast: return "broadcast";
    case CollectiveKind::barrier: return "barrier";
  }
  return "collective#" + std::to_string(static_cast<int64_t>(kind));
}

std::string Communicator::context(CollectiveKind kind, const torch::Tensor& tensor) const {
  std::string text =
      "rank " + std::to_string(rank()) + "/" + std::to_string(size()) + " " + backend() + " " + to_string(kind);
  if (tensor.defined())
    text +=
        "(" + std::string(c10::toString(tensor.scalar_type())) + ", " + std::to_string(tensor.numel()) + " elements)";
  return text;
}

void Communicator::check_tensor(CollectiveKind kind, const torch::Tensor& tensor) const {
  if (!tensor.defined()) throw CommError(context(kind, tensor) + ": undefined tensor");
  if (!tensor.is_contiguous()) throw CommError(context(kind, tensor) + ": tensor must be contiguous");
  if (tensor.device().type() != device().type())
    throw CommError(context(kind, tensor) + ": tensor on " + tensor.device().str() + ", communicator on " +
                    device().str());
}

torch::Tensor Communicator::all_gather(const torch::Tensor& input) {
  auto sizes = input.sizes().vec();
  if (sizes.empty()) sizes.push_back(1);
  sizes[0] *= size();
  auto output = torch::empty(sizes, input.options());
  all_gather_async(input.contiguous(), output)->wait();
  return output;
}

torch::Tensor Communicator::reduce_scatter(const torch::Tensor& input, ReduceOp op) {
  if (input.dim() == 0 || input.size(0) % size() != 0)
    throw CommError(context(CollectiveKind::reduce_scatter, input) + ": dim 0 must be a multiple of the world size");
  auto sizes = input.sizes().vec();
  sizes[0] /= size();
  auto output = torch::empty(sizes, input.options());
  reduce_scatter_async(input.contiguous(), output, op)->wait();
  return output;
}

}  // namespace cagcl
