#pragma once
// Which (image, text) pairs count as positives, for rows [row_offset, row_offset + n) of the global instance
// list against all N instances of the global batch (docs/losses.md):
//   Y_mk = 1 if m = k, or (a_m = a_k and ((normal_m and normal_k) or text_id_m = text_id_k)), else 0.
// Within one anatomy this is fVLM's local target (normal-normal and same-text pairs are false negatives, so
// they count as positives); across anatomies it is always 0, which is what makes the global cross-anatomy
// loss push different anatomies apart. Y is symmetric, so one matrix serves both directions (image->text
// rows and text->image rows) of both losses.
#include <torch/torch.h>

#include "model/instances.hpp"

namespace cagcl::model {

// [n,N] bool. `rows` are instances row_offset.. of `columns` (only their keys are read).
torch::Tensor positive_pairs(const Instances& rows, int64_t row_offset, const Instances& columns);

// [n,N] `dtype`: each row of `positives` divided by its number of positives, so every row sums to 1 (a row
// always has its own instance as a positive). Rows of an empty matrix stay empty.
torch::Tensor soft_targets(const torch::Tensor& positives, torch::ScalarType dtype);

}  // namespace cagcl::model
