#include <torch/torch.h>

#include "model/contrastive_loss.hpp"

#include <algorithm>
#include <limits>

#include "comm/autograd_collectives.hpp"
#include "common/error.hpp"
#include "model/contrastive_targets.hpp"

namespace cagcl::model {
namespace {

// Per-row soft-target cross entropy -sum_k y_mk log softmax(s_m)_k, the softmax over the columns where
// `allowed` (undefined: all columns). Masked columns get -inf logits (probability 0) and are then zeroed in
// the log-probabilities, so 0 * -inf never turns into NaN (targets are 0 there anyway).
torch::Tensor soft_cross_entropy_rows(const torch::Tensor& logits, const torch::Tensor& targets,
                                      const torch::Tensor& allowed) {
  if (!allowed.defined()) return -(targets * torch::log_softmax(logits, 1)).sum(1);
  const auto blocked = allowed.logical_not();
  const auto log_p = torch::log_softmax(logits.masked_fill(blocked, -std::numeric_limits<double>::infinity()), 1)
                         .masked_fill(blocked, 0);
  return -(targets * log_p).sum(1);
}

// Weight of each row's local-loss terms (both directions): 1 / (2 N_a) for an anatomy that takes part, 0 for
// one skipped because the global batch holds no abnormal instance of it; divided by the number of anatomies
// taking part for local_reduction = mean. Counts come from the columns (the global batch): O(N), no N x N.
torch::Tensor local_row_weights(const Instances& rows, const Instances& columns, const LossConfig& options,
                                torch::ScalarType dtype) {
  const auto count = torch::bincount(columns.anatomy).to(dtype);
  auto takes_part = count > 0;
  if (options.skip_all_normal_anatomy) {
    const auto abnormal = torch::bincount(columns.anatomy, columns.normal.logical_not().to(dtype), count.size(0));
    takes_part = takes_part & (abnormal > 0);
  }
  auto per_anatomy = takes_part.to(dtype) / (2 * count.clamp_min(1));
  if (options.local_reduction == "mean")
    per_anatomy = per_anatomy / takes_part.sum().clamp_min(1).to(dtype);
  else if (options.local_reduction != "sum")
    throw UsageError("loss.local_reduction: '" + options.local_reduction + "' is not sum or mean");
  return per_anatomy.index_select(0, rows.anatomy);
}

void check_temperature(const torch::Tensor& tau, const char* name) {
  if (!tau.defined() || tau.numel() != 1) throw Error(std::string("ca_gcl_loss: ") + name + " must be a scalar tensor");
}

}  // namespace

LossTerms ca_gcl_loss_rows(const Instances& rows, int64_t row_offset, const Instances& columns,
                           const torch::Tensor& tau_local, const torch::Tensor& tau_global, const LossConfig& options) {
  check_instances(rows, "ca_gcl_loss (rows)");
  check_instances(columns, "ca_gcl_loss (columns)");
  const bool want_local = options.w_local != 0, want_global = options.w_global != 0;
  if (!want_local && !want_global) throw UsageError("loss.w_local and loss.w_global are both 0");
  if (options.w_local < 0 || options.w_global < 0)
    throw UsageError("loss.w_local and loss.w_global must not be negative");
  const auto dtype = rows.v.scalar_type();

  const auto targets = soft_targets(positive_pairs(rows, row_offset, columns), dtype);
  // Y is symmetric, so the text->image rows (my texts against all images) share the targets of the
  // image->text rows (my images against all texts).
  const auto image_to_text = rows.v.matmul(columns.t.t());
  const auto text_to_image = rows.t.matmul(columns.v.t());
  const auto zero = torch::zeros({}, rows.v.options());

  LossTerms out;
  out.local = zero;
  out.global = zero;
  torch::Tensor total = zero;
  if (want_local) {
    check_temperature(tau_local, "tau_local");
    const auto same_anatomy = rows.anatomy.unsqueeze(1) == columns.anatomy.unsqueeze(0);
    const auto per_row = soft_cross_entropy_rows(image_to_text / tau_local, targets, same_anatomy) +
                         soft_cross_entropy_rows(text_to_image / tau_local, targets, same_anatomy);
    out.local = (per_row * local_row_weights(rows, columns, options, dtype)).sum();
    total = total + options.w_local * out.local;
  }
  if (want_global) {
    check_temperature(tau_global, "tau_global");
    const auto per_row = soft_cross_entropy_rows(image_to_text / tau_global, targets, {}) +
                         soft_cross_entropy_rows(text_to_image / tau_global, targets, {});
    out.global = per_row.sum() / static_cast<double>(2 * std::max<int64_t>(columns.v.size(0), 1));
    total = total + options.w_global * out.global;
  }
  out.total = total;
  return out;
}

LossTerms ca_gcl_loss(const std::shared_ptr<Communicator>& comm, const Instances& mine, const torch::Tensor& tau_local,
                      const torch::Tensor& tau_global, const LossConfig& options) {
  if (!comm) throw Error("ca_gcl_loss: no communicator");
  check_instances(mine, "ca_gcl_loss");
  const auto v = all_gather_with_grad(comm, mine.v);
  const auto t = all_gather_with_grad(comm, mine.t);
  // The keys travel as one [n,3] int64 gather instead of three.
  const auto keys = all_gather_rows(*comm, torch::stack({mine.anatomy, mine.normal.to(torch::kLong), mine.text_id}, 1));
  Instances columns{v.rows, t.rows, keys.rows.select(1, 0).contiguous(), keys.rows.select(1, 1).to(torch::kBool),
                    keys.rows.select(1, 2).contiguous()};
  return ca_gcl_loss_rows(mine, v.offset, columns, tau_local, tau_global, options);
}

LossValues contrastive_loss_floor(const Instances& all, const LossConfig& options) {
  check_instances(all, "contrastive_loss_floor");
  torch::NoGradGuard no_grad;
  const auto targets = soft_targets(positive_pairs(all, 0, all), torch::kDouble);
  // Row entropy -sum y log y; 0 * log 0 is taken as 0.
  const auto entropy = -(targets * targets.clamp_min(1e-300).log()).sum(1);
  LossValues out;
  // Both directions share the targets (Y is symmetric), hence the factor 2 against the loss's 1/2 weights.
  if (options.w_local != 0)
    out.local = (2 * entropy * local_row_weights(all, all, options, torch::kDouble)).sum().item<double>();
  if (options.w_global != 0)
    out.global = (2 * entropy).sum().item<double>() / static_cast<double>(2 * std::max<int64_t>(all.v.size(0), 1));
  out.total = options.w_local * out.local + options.w_global * out.global;
  return out;
}

LossValues reduce_loss_values(Communicator& comm, const LossTerms& terms) {
  auto values = torch::stack({terms.total.detach().reshape({}), terms.local.detach().reshape({}),
                              terms.global.detach().reshape({})})
                    .to(comm.device(), torch::kDouble)
                    .contiguous();
  comm.all_reduce(values, ReduceOp::sum);
  values = values.cpu();
  const double* p = values.data_ptr<double>();
  return {p[0], p[1], p[2]};
}

}  // namespace cagcl::model
