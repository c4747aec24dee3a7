#include <torch/torch.h>

#include "model/contrastive_targets.hpp"

#include "common/error.hpp"

namespace cagcl::model {

torch::Tensor positive_pairs(const Instances& rows, int64_t row_offset, const Instances& columns) {
  const int64_t n = rows.anatomy.size(0), total = columns.anatomy.size(0);
  if (row_offset < 0 || row_offset + n > total)
    throw Error("positive_pairs: rows [" + std::to_string(row_offset) + ", " + std::to_string(row_offset + n) +
                ") lie outside the " + std::to_string(total) + " columns");
  const auto device = columns.anatomy.device();
  const auto same_anatomy = rows.anatomy.unsqueeze(1) == columns.anatomy.unsqueeze(0);
  const auto both_normal = rows.normal.unsqueeze(1) & columns.normal.unsqueeze(0);
  const auto same_text = rows.text_id.unsqueeze(1) == columns.text_id.unsqueeze(0);
  const auto row_index = torch::arange(row_offset, row_offset + n, torch::TensorOptions(torch::kLong).device(device));
  const auto column_index = torch::arange(total, torch::TensorOptions(torch::kLong).device(device));
  const auto itself = row_index.unsqueeze(1) == column_index.unsqueeze(0);
  return itself | (same_anatomy & (both_normal | same_text));
}

torch::Tensor soft_targets(const torch::Tensor& positives, torch::ScalarType dtype) {
  const auto y = positives.to(dtype);
  // clamp: a row of zeros (never produced by positive_pairs) stays zero instead of becoming NaN.
  return y / y.sum(1, /*keepdim=*/true).clamp_min(1);
}

}  // namespace cagcl::model
