#include <torch/torch.h>

#include "trainer/zero1_optimizer.hpp"

#include <chrono>
#include <cmath>

#include "common/error.hpp"
#include "trainer/data_parallel_adamw.hpp"

namespace cagcl::trainer {

Zero1AdamW::Zero1AdamW(std::shared_ptr<Communicator> comm, std::vector<NamedParameter> params, AdamWOptions options,
                       int64_t bucket_cap_bytes, int64_t first_bucket_bytes)
    : comm_(std::move(comm)), params_(std::move(params)), options_(options) {
  std::vector<torch::Tensor> tensors;
  for (const auto& p : params_) tensors.push_back(p.tensor);
  layout_ = plan_buckets(tensors, bucket_cap_bytes, first_bucket_bytes);
  owned_ = owned_ranges(layout_, comm_->size(), comm_->rank());
  for (const auto& bucket : layout_.buckets) {
    const int64_t padded = bucket.padded_numel(comm_->size());
    const auto options = torch::TensorOptions(bucket.dtype).device(bucket.device);
    shard_numel_.push_back(padded / comm_->size());
    flat_.push_back(torch::zeros({padded}, options));
    grad_shard_.push_back(torch::zeros({shard_numel_.back()}, options));
    param_shard_.push_back(torch::zeros({shard_numel_.back()}, options));
    exp_avg_.push_back(torch::zeros({shard_numel_.back()}, options));
    exp_avg_sq_.push_back(torch::zeros({shard_numel_.back()}, options));
  }
}

OptimizerStepStats Zero1AdamW::step(double lr, double max_grad_norm) {
  using Clock = std::chrono::steady_clock;
  OptimizerStepStats stats;
  torch::NoGradGuard no_grad;
  // 1. Reduce-scatter the gradients, bucket by bucket, in bucket order (the same on every rank).
  std::vector<WorkPtr> works;
  for (size_t b = 0; b < layout_.buckets.size(); ++b) {
    auto& flat = flat_[b];
    flat.zero_();  // padding and parameters without gradient this step contribute zeros
    for (const auto& slot : layout_.buckets[b].slots) {
      const auto& grad = params_[slot.param].tensor.grad();
      if (grad.defined()) flat.narrow(0, slot.offset, slot.numel).copy_(grad.reshape(-1));
    }
    works.push_back(comm_->reduce_scatter_async(flat, grad_shard_[b], ReduceOp::sum));
  }
  auto wait_all = [&] {
    const auto start = Clock::now();
    for (auto& w : works) w->wait();
    works.clear();
    stats.comm_seconds += std::chrono::duration<double>(Clock::now() - start).count();
  };
  wait_all();

  // 2. Global norm: the shards partition the gradient (padding is zero).
  auto squared =
      torch::tensor({squared_norm(grad_shard_)}, torch::TensorOptions(torch::kDouble).device(comm_->device()));
  {
    const auto start = Clock::now();
    comm_->all_reduce(squared, ReduceOp::sum);
    stats.comm_seconds += std::chrono::duration<double>(Clock::now() - start).count();
  }
  stats.grad_norm = std::sqrt(squared.item<double>());
  clip_gradients(grad_shard_, stats.grad_norm, max_grad_norm);

  // 3. Update this rank's shard of the parameters.
  ++step_;
  for (const auto& r : owned_) {
    auto p = params_[r.param].tensor.detach().reshape(-1).narrow(0, r.param_start, r.numel);
    auto shard_p = param_shard_[r.bucket].narrow(0, r.shard_offset, r.numel);
    shard_p.copy_(p);
    const double decay = decays(params_[r.param].tensor) ? options_.weight_decay : 0.0;
    adamw_update(shard_p, grad_shard_[r.bucket].narrow(0, r.shard_offset, r.numel),
                 exp_avg_[r.bucket].narrow(0, r.shard_offset, r.numel),
                 exp_avg_sq_[r.bucket].narrow(0, r.shard_offset, r.numel), lr, decay, step_, options_);
  }

  // 4. All-gather the updated shards into every rank's parameters.
  for (size_t b = 0; b < layout_.buckets.size(); ++b)
    works.push_back(comm_->all_gather_async(param_shard_[b], flat_[b]));
  wait_all();
  for (size_t b = 0; b < layout_.buckets.size(); ++b) {
    for (const auto& slot : layout_.buckets[b].slots) {
      auto& p = params_[slot.param].tensor;
      p.detach().view(-1).copy_(flat_[b].narrow(0, slot.offset, slot.numel));
      if (p.grad().defined()) p.mutable_grad().zero_();
    }
  }
  return stats;
}

std::vector<StatePiece> Zero1AdamW::state_slice() const {
  std::vector<StatePiece> pieces;
  for (const auto& r : owned_) {
    pieces.push_back({params_[r.param].name, r.param_start,
                      exp_avg_[r.bucket].narrow(0, r.shard_offset, r.numel).to(torch::kCPU).clone(),
                      exp_avg_sq_[r.bucket].narrow(0, r.shard_offset, r.numel).to(torch::kCPU).clone()});
  }
  return pieces;
}

void Zero1AdamW::load_state(const FullState& state) {
  torch::NoGradGuard no_grad;
  for (const auto& r : owned_) {
    const auto& name = params_[r.param].name;
    auto it = state.moments.find(name);
    if (it == state.moments.end()) throw DataError("optimizer state: parameter '" + name + "' missing");
    exp_avg_[r.bucket].narrow(0, r.shard_offset, r.numel).copy_(it->second.first.narrow(0, r.param_start, r.numel));
    exp_avg_sq_[r.bucket].narrow(0, r.shard_offset, r.numel).copy_(it->second.second.narrow(0, r.param_start, r.numel));
  }
  step_ = state.step;
}

}  // namespace cagcl::trainer
