#include <torch/torch.h>

#include "comm/sequence_checked_communicator.hpp"

#include "common/error.hpp"

namespace cagcl {
namespace {

constexpr int64_t kFields = 5;  // sequence, kind, dtype, numel, detail (reduce op or root)

std::string describe(const int64_t* f) {
  std::string text = "#" + std::to_string(f[0]) + " " + to_string(static_cast<CollectiveKind>(f[1]));
  if (f[1] != static_cast<int64_t>(CollectiveKind::barrier)) {
    text += "(" + std::string(c10::toString(static_cast<c10::ScalarType>(f[2]))) + ", " + std::to_string(f[3]) +
            " elements";
    if (f[1] == static_cast<int64_t>(CollectiveKind::broadcast))
      text += ", root " + std::to_string(f[4]);
    else if (f[4] >= 0)
      text += ", " + to_string(static_cast<ReduceOp>(f[4]));
    text += ")";
  }
  return text;
}

}  // namespace

SequenceCheckedCommunicator::SequenceCheckedCommunicator(std::shared_ptr<Communicator> inner)
    : inner_(std::move(inner)) {
  if (!inner_) throw CommError("SequenceCheckedCommunicator: no communicator to wrap");
}

void SequenceCheckedCommunicator::check(CollectiveKind kind, const torch::Tensor& tensor, int64_t detail) {
  const bool has_tensor = tensor.defined();
  auto mine = torch::tensor(
      {sequence_++, static_cast<int64_t>(kind), has_tensor ? static_cast<int64_t>(tensor.scalar_type()) : -1,
       has_tensor ? tensor.numel() : 0, detail},
      torch::kLong);
  auto all = inner_->all_gather(mine.to(inner_->device())).cpu();
  const int64_t* f = all.data_ptr<int64_t>();
  const int64_t* own = f + rank() * kFields;
  for (int r = 0; r < size(); ++r) {
    const int64_t* other = f + r * kFields;
    if (!std::equal(own, own + kFields, other))
      throw CommError("collective order mismatch (comm.debug_sequence): rank " + std::to_string(rank()) + " called " +
                      describe(own) + " while rank " + std::to_string(r) + " called " + describe(other));
  }
}

WorkPtr SequenceCheckedCommunicator::all_reduce_async(const torch::Tensor& tensor, ReduceOp op) {
  check(CollectiveKind::all_reduce, tensor, static_cast<int64_t>(op));
  return inner_->all_reduce_async(tensor, op);
}

WorkPtr SequenceCheckedCommunicator::all_gather_async(const torch::Tensor& input, const torch::Tensor& output) {
  check(CollectiveKind::all_gather, input, -1);
  return inner_->all_gather_async(input, output);
}

WorkPtr SequenceCheckedCommunicator::reduce_scatter_async(const torch::Tensor& input, const torch::Tensor& output,
                                                          ReduceOp op) {
  check(CollectiveKind::reduce_scatter, input, static_cast<int64_t>(op));
  return inner_->reduce_scatter_async(input, output, op);
}

WorkPtr SequenceCheckedCommunicator::broadcast_async(const torch::Tensor& tensor, int root) {
  check(CollectiveKind::broadcast, tensor, root);
  return inner_->broadcast_async(tensor, root);
}

void SequenceCheckedCommunicator::barrier() {
  check(CollectiveKind::barrier, torch::Tensor(), -1);
  inner_->barrier();
}

}  // namespace cagcl
