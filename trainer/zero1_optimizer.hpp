#pragma once
// ZeRO-1 (Rajbhandari et al.; llm.c's and DeepSpeed's stage 1): the AdamW state is sharded across ranks. After
// the last backward of a step, each gradient bucket (comm/bucket_layout.hpp, the same buckets GradSync uses) is
// reduce-scattered, so rank r receives the summed gradient of its shard only; the global norm is one all-reduce
// of the shards' squared norms; each rank updates its shard of the parameters with its shard of the state; the
// updated shards are all-gathered back into every rank's parameters. AdamW state memory per rank is 1/W of
// DataParallelAdamW's; the arithmetic per element is the same (adamw.hpp), so both give the same model within
// float tolerance (the summation order of the reductions differs).
//
// Gradients of micro-batches accumulate locally in .grad; only step() communicates. Reduce-scatter runs after
// backward, not overlapped with it.
#include <memory>

#include "comm/bucket_layout.hpp"
#include "comm/communicator.hpp"
#include "trainer/optimizer.hpp"
#include "trainer/state_partition.hpp"

namespace cagcl::trainer {

class Zero1AdamW : public DataParallelOptimizer {
 public:
  // Bucket sizes as GradSyncOptions (comm.bucket_cap_mb, comm.first_bucket_mb).
  Zero1AdamW(std::shared_ptr<Communicator> comm, std::vector<NamedParameter> params, AdamWOptions options,
             int64_t bucket_cap_bytes, int64_t first_bucket_bytes);

  void before_backward(bool) override {}
  OptimizerStepStats step(double lr, double max_grad_norm) override;
  int64_t steps_taken() const override { return step_; }
  std::vector<StatePiece> state_slice() const override;
  void load_state(const FullState& state) override;

  const BucketLayout& layout() const { return layout_; }

 private:
  std::shared_ptr<Communicator> comm_;
  std::vector<NamedParameter> params_;
  AdamWOptions options_;
  BucketLayout layout_;
  std::vector<OwnedRange> owned_;
  std::vector<int64_t> shard_numel_;                 // per bucket
  std::vector<torch::Tensor> flat_;                  // per bucket, padded: gradients in, then parameters out
  std::vector<torch::Tensor> grad_shard_;            // per bucket: the summed gradient of this rank's shard
  std::vector<torch::Tensor> param_shard_;           // per bucket
  std::vector<torch::Tensor> exp_avg_, exp_avg_sq_;  // per bucket, shard-sized
  int64_t step_ = 0;
};

}  // namespace cagcl::trainer
