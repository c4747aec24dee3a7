#include <torch/torch.h>

#include "comm/grad_sync.hpp"

#include <chrono>
#include <limits>

#include "common/error.hpp"

namespace cagcl {

GradSync::GradSync(std::shared_ptr<Communicator> comm, std::vector<torch::Tensor> params, GradSyncOptions options)
    : comm_(std::move(comm)), params_(std::move(params)), options_(options) {
  if (!comm_) throw CommError("GradSync: no communicator");
  layout_ = plan_buckets(params_, options_.bucket_cap_bytes, options_.first_bucket_bytes);
  for (const auto& bucket : layout_.buckets) {
    buffers_.push_back(torch::zeros({bucket.numel}, torch::TensorOptions(bucket.dtype).device(bucket.device)));
    filled_.emplace_back(bucket.slots.size(), false);
    missing_.push_back(static_cast<int64_t>(bucket.slots.size()));
  }
  for (size_t i = 0; i < params_.size(); ++i) {
    if (layout_.where[i].first == std::numeric_limits<size_t>::max()) continue;
    hook_handles_.push_back(params_[i].register_hook([this, i](torch::Tensor grad) { on_grad(i, grad); }));
  }
}

GradSync::~GradSync() {
  size_t h = 0;
  for (size_t i = 0; i < params_.size(); ++i)
    if (layout_.where[i].first != std::numeric_limits<size_t>::max()) params_[i].remove_hook(hook_handles_[h++]);
}

void GradSync::broadcast_parameters(int root) {
  torch::NoGradGuard no_grad;
  // One collective per parameter, in registration order: identical on every rank; done once per run.
  for (auto& p : params_) {
    if (p.is_contiguous()) {
      comm_->broadcast(p.detach(), root);
    } else {
      auto tmp = p.detach().contiguous();
      comm_->broadcast(tmp, root);
      p.detach().copy_(tmp);
    }
  }
}

void GradSync::on_grad(size_t param, const torch::Tensor& grad) {
  if (grad.is_sparse())
    throw CommError("GradSync: rank " + std::to_string(comm_->rank()) + ": sparse gradient of parameter " +
                    std::to_string(param));
  std::lock_guard<std::mutex> lock(mutex_);
  if (!enabled_) return;
  const auto [b, s] = layout_.where[param];
  const auto& slot = layout_.buckets[b].slots[s];
  auto view = buffers_[b].narrow(0, slot.offset, slot.numel);
  if (b < next_launch_)
    throw CommError("GradSync: rank " + std::to_string(comm_->rank()) + ": gradient of parameter " +
                    std::to_string(param) + " arrived after its bucket " + std::to_string(b) +
                    " was launched (two backward passes without finish()?)");
  if (filled_[b][s]) {
    view.add_(grad.reshape(-1));
    return;
  }
  view.copy_(grad.reshape(-1));
  // The hook runs before autograd adds `grad` into .grad: what .grad holds now are earlier micro-batches.
  const auto& accumulated = params_[param].grad();
  if (accumulated.defined()) view.add_(accumulated.reshape(-1));
  filled_[b][s] = true;
  --missing_[b];
  if (options_.overlap) launch_ready_locked();
}

void GradSync::launch_ready_locked() {
  while (next_launch_ < layout_.buckets.size() && missing_[next_launch_] == 0) {
    ++launched_in_backward_;
    launch_locked(next_launch_);
  }
}

void GradSync::launch_locked(size_t bucket) {
  const ReduceOp op = options_.reduction == GradReduction::avg ? ReduceOp::avg : ReduceOp::sum;
  works_.push_back(comm_->all_reduce_async(buffers_[bucket], op));
  launch_order_.push_back(bucket);
  next_launch_ = bucket + 1;
}

void GradSync::set_enabled(bool enabled) {
  std::lock_guard<std::mutex> lock(mutex_);
  enabled_ = enabled;
}

void GradSync::finish() {
  if (!enabled_)
    throw CommError("GradSync::finish: rank " + std::to_string(comm_->rank()) +
                    ": sync is disabled (set_enabled(false))");
  const auto start = std::chrono::steady_clock::now();
  std::vector<WorkPtr> works;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (size_t b = next_launch_; b < layout_.buckets.size(); ++b) {
      // A parameter that took no part in this backward contributes what it accumulated earlier, or zeros
      // (its peers may have a gradient for it).
      for (size_t s = 0; s < layout_.buckets[b].slots.size(); ++s) {
        if (!filled_[b][s]) {
          const auto& slot = layout_.buckets[b].slots[s];
          auto view = buffers_[b].narrow(0, slot.offset, slot.numel);
          const auto& accumulated = params_[slot.param].grad();
          if (accumulated.defined())
            view.copy_(accumulated.reshape(-1));
          else
            view.zero_();
        }
      }
      launch_locked(b);
    }
    works.swap(works_);
  }
  for (auto& work : works) work->wait();

  std::lock_guard<std::mutex> lock(mutex_);
  torch::NoGradGuard no_grad;
  for (size_t b = 0; b < layout_.buckets.size(); ++b) {
    for (const auto& slot : layout_.buckets[b].slots) {
      auto& p = params_[slot.param];
      auto reduced = buffers_[b].narrow(0, slot.offset, slot.numel).view(p.sizes());
      if (p.mutable_grad().defined())
        p.mutable_grad().copy_(reduced);
      else
        p.mutable_grad() = reduced.clone();
    }
    std::fill(filled_[b].begin(), filled_[b].end(), false);
    missing_[b] = static_cast<int64_t>(layout_.buckets[b].slots.size());
  }
  stats_.finish_wait_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  stats_.buckets_launched_during_backward = launched_in_backward_;
  launched_in_backward_ = 0;
  next_launch_ = 0;
  last_launch_order_.swap(launch_order_);
  launch_order_.clear();
}

}  // namespace cagcl
