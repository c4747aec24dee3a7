#pragma once
// Data-parallel gradient synchronisation (PyTorch DDP's Reducer, simplified): a hook on every parameter
// copies its gradient into its bucket's flat buffer as backward produces it; a bucket whose gradients are
// all in is all-reduced at once (async), while backward goes on computing earlier layers. Buckets are
// launched strictly in bucket order (bucket k only after 0..k-1), so every rank issues the same collectives
// in the same order even if gradients arrive in a different order. finish() after backward launches what
// is left (a parameter without gradient this step contributes zeros), waits, and writes the reduced
// gradients into the parameters' .grad.
//
// Gradients accumulate into .grad as usual (zero them between optimizer steps). For accumulation over
// micro-batches, set_enabled(false) before the backward passes that must not communicate, and
// set_enabled(true) before the last one: its hooks pack .grad (the earlier micro-batches) + the new gradient.
#include <torch/torch.h>

#include <memory>
#include <mutex>
#include <vector>

#include "comm/bucket_layout.hpp"
#include "comm/communicator.hpp"

namespace cagcl {

enum class GradReduction { avg, sum };

struct GradSyncOptions {
  int64_t bucket_cap_bytes = 25LL << 20;   // comm.bucket_cap_mb (DDP's default 25 MB)
  int64_t first_bucket_bytes = 1LL << 20;  // comm.first_bucket_mb (DDP's 1 MB: start communicating early)
  bool overlap = true;                     // false: every bucket is launched by finish(), after backward
  GradReduction reduction = GradReduction::avg;
};

struct GradSyncStats {
  double finish_wait_s = 0;  // time finish() spent launching the rest and waiting: communication not hidden
  int64_t buckets_launched_during_backward = 0;
};

class GradSync {
 public:
  // `params` in registration order (module.parameters()); the same list, in the same order, on every rank.
  GradSync(std::shared_ptr<Communicator> comm, std::vector<torch::Tensor> params, GradSyncOptions options = {});
  ~GradSync();
  GradSync(const GradSync&) = delete;
  GradSync& operator=(const GradSync&) = delete;

  // Copies root's parameter values to every rank (call once, before the first step).
  void broadcast_parameters(int root = 0);
  // After loss.backward(): every parameter's .grad holds the all-reduced gradient when it returns.
  void finish();
  // false: hooks do nothing and the gradients stay local (DDP's no_sync); finish() must not be called.
  void set_enabled(bool enabled);

  const BucketLayout& layout() const { return layout_; }
  // Bucket indices in the order the last step launched them (always 0, 1, 2, ...).
  const std::vector<size_t>& last_launch_order() const { return last_launch_order_; }
  const GradSyncStats& last_stats() const { return stats_; }

 private:
  void on_grad(size_t param, const torch::Tensor& grad);
  void launch_ready_locked();  // launches consecutive ready buckets from next_launch_
  void launch_locked(size_t bucket);

  std::shared_ptr<Communicator> comm_;
  std::vector<torch::Tensor> params_;
  GradSyncOptions options_;
  BucketLayout layout_;
  std::vector<torch::Tensor> buffers_;  // one flat buffer per bucket
  std::vector<unsigned> hook_handles_;

  std::mutex mutex_;  // hooks may run on autograd's device threads
  std::vector<std::vector<bool>> filled_;
  std::vector<int64_t> missing_;  // slots of each bucket still without gradient this step
  std::vector<WorkPtr> works_;
  size_t next_launch_ = 0;
  std::vector<size_t> last_launch_order_;
  std::vector<size_t> launch_order_;
  GradSyncStats stats_;
  int64_t launched_in_backward_ = 0;
  bool enabled_ = true;
};

}  // namespace cagcl
