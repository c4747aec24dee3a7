#pragma once
// Debug mode (comm.debug_sequence): before every collective, the ranks all-gather a fingerprint
// (sequence number, op kind, dtype, element count, root/op) over the wrapped communicator and compare. Ranks
// that disagree on the order of collectives -- Horovod's classic stall -- get a CommError naming both
// ranks' calls instead of a hang. Costs one small extra collective per call: for debugging only.
#include <memory>

#include "comm/communicator.hpp"

namespace cagcl {

class SequenceCheckedCommunicator : public Communicator {
 public:
  explicit SequenceCheckedCommunicator(std::shared_ptr<Communicator> inner);

  int rank() const override { return inner_->rank(); }
  int size() const override { return inner_->size(); }
  std::string backend() const override { return inner_->backend() + "+sequence-check"; }
  torch::Device device() const override { return inner_->device(); }

  WorkPtr all_reduce_async(const torch::Tensor& tensor, ReduceOp op) override;
  WorkPtr all_gather_async(const torch::Tensor& input, const torch::Tensor& output) override;
  WorkPtr reduce_scatter_async(const torch::Tensor& input, const torch::Tensor& output, ReduceOp op) override;
  WorkPtr broadcast_async(const torch::Tensor& tensor, int root) override;
  void barrier() override;

  // Collectives checked so far (the next sequence number).
  int64_t sequence() const { return sequence_; }

 private:
  // Throws a CommError naming this rank's call and the first differing rank's call.
  void check(CollectiveKind kind, const torch::Tensor& tensor, int64_t detail);

  std::shared_ptr<Communicator> inner_;
  int64_t sequence_ = 0;
};

}  // namespace cagcl
