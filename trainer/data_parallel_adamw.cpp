#include <torch/torch.h>

#include "trainer/data_parallel_adamw.hpp"

#include <chrono>
#include <cmath>

#include "common/error.hpp"

namespace cagcl::trainer {

double squared_norm(const std::vector<torch::Tensor>& grads) {
  double sum = 0;
  for (const auto& g : grads)
    if (g.defined()) sum += g.to(torch::kDouble).square().sum().item<double>();
  return sum;
}

void clip_gradients(const std::vector<torch::Tensor>& grads, double norm, double max_norm) {
  if (max_norm <= 0) return;
  const double coefficient = max_norm / (norm + 1e-6);
  if (coefficient >= 1.0) return;
  torch::NoGradGuard no_grad;
  for (const auto& g : grads)
    if (g.defined()) g.mul_(coefficient);
}

namespace {
std::vector<torch::Tensor> tensors_of(const std::vector<NamedParameter>& params) {
  std::vector<torch::Tensor> out;
  for (const auto& p : params) out.push_back(p.tensor);
  return out;
}
}  // namespace

DataParallelAdamW::DataParallelAdamW(std::shared_ptr<Communicator> comm, std::vector<NamedParameter> params,
                                     AdamWOptions options, GradSyncOptions sync)
    : comm_(std::move(comm)), params_(std::move(params)), options_(options) {
  sync.reduction = GradReduction::sum;
  sync_ = std::make_unique<GradSync>(comm_, tensors_of(params_), sync);
  owned_ = owned_ranges(sync_->layout(), comm_->size(), comm_->rank());
  for (const auto& p : params_) {
    exp_avg_.push_back(torch::zeros(p.tensor.sizes(), p.tensor.options()));
    exp_avg_sq_.push_back(torch::zeros(p.tensor.sizes(), p.tensor.options()));
  }
}

void DataParallelAdamW::before_backward(bool last) { sync_->set_enabled(last); }

OptimizerStepStats DataParallelAdamW::step(double lr, double max_grad_norm) {
  OptimizerStepStats stats;
  sync_->finish();
  stats.comm_seconds = sync_->last_stats().finish_wait_s;
  std::vector<torch::Tensor> grads;
  for (const auto& p : params_) grads.push_back(p.tensor.grad());
  // Every rank holds the same summed gradients, so the norm needs no communication.
  stats.grad_norm = std::sqrt(squared_norm(grads));
  clip_gradients(grads, stats.grad_norm, max_grad_norm);
  ++step_;
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size(); ++i) {
    auto& p = params_[i].tensor;
    if (!p.requires_grad() || !grads[i].defined()) continue;
    adamw_update(p.detach(), grads[i], exp_avg_[i], exp_avg_sq_[i], lr, decays(p) ? options_.weight_decay : 0.0, step_,
                 options_);
    grads[i].zero_();
  }
  return stats;
}

std::vector<StatePiece> DataParallelAdamW::state_slice() const {
  std::vector<StatePiece> pieces;
  for (const auto& r : owned_) {
    pieces.push_back({params_[r.param].name, r.param_start,
                      exp_avg_[r.param].reshape(-1).narrow(0, r.param_start, r.numel).to(torch::kCPU).clone(),
                      exp_avg_sq_[r.param].reshape(-1).narrow(0, r.param_start, r.numel).to(torch::kCPU).clone()});
  }
  return pieces;
}

void DataParallelAdamW::load_state(const FullState& state) {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size(); ++i) {
    if (!params_[i].tensor.requires_grad()) continue;
    auto it = state.moments.find(params_[i].name);
    if (it == state.moments.end()) throw DataError("optimizer state: parameter '" + params_[i].name + "' missing");
    exp_avg_[i].view(-1).copy_(it->second.first);
    exp_avg_sq_[i].view(-1).copy_(it->second.second);
  }
  step_ = state.step;
}

FullState assemble_state(int64_t step, const std::vector<StatePiece>& pieces,
                         const std::map<std::string, int64_t>& numels, const std::string& origin) {
  FullState state;
  state.step = step;
  std::map<std::string, int64_t> covered;
  for (const auto& [name, numel] : numels) {
    state.moments[name] = {torch::zeros({numel}), torch::zeros({numel})};
    covered[name] = 0;
  }
  for (const auto& piece : pieces) {
    auto it = state.moments.find(piece.param);
    if (it == state.moments.end())
      throw DataError(origin + ": optimizer state for unknown parameter '" + piece.param + "'");
    const int64_t numel = it->second.first.numel();
    const int64_t n = piece.exp_avg.numel();
    if (piece.start < 0 || n < 1 || piece.start > numel - n || piece.exp_avg_sq.numel() != n)
      throw DataError(origin + ": optimizer state piece of '" + piece.param + "' at element " +
                      std::to_string(piece.start) + " (" + std::to_string(n) + " elements) does not fit its " +
                      std::to_string(numel) + " elements");
    it->second.first.narrow(0, piece.start, n).copy_(piece.exp_avg.reshape(-1));
    it->second.second.narrow(0, piece.start, n).copy_(piece.exp_avg_sq.reshape(-1));
    covered[piece.param] += n;
  }
  for (const auto& [name, n] : covered) {
    if (n != numels.at(name))
      throw DataError(origin + ": optimizer state of parameter '" + name + "' covers " + std::to_string(n) + " of " +
                      std::to_string(numels.at(name)) + " elements");
  }
  return state;
}

}  // namespace cagcl::trainer
