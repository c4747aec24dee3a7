#pragma once
// The instances the contrastive losses see: the intact (sample, anatomy) pairs of a batch, flattened. An
// anatomy that is not intact in a sample (it touches a face of the crop), and every anatomy of an evaluation
// padding row, is dropped here, so no loss can ever see its embedding.
#include <torch/torch.h>

#include "data/batch.hpp"
#include "model/embeddings.hpp"

namespace cagcl::model {

// This rank's intact (sample, anatomy) pairs, in (sample, anatomy) order. All tensors on the embeddings' device.
struct Instances {
  torch::Tensor v, t;     // [n,E]
  torch::Tensor anatomy;  // [n] int64: 0-based index into the anatomy list (label value k is index k-1)
  torch::Tensor normal;   // [n] bool: the text is the normal template
  torch::Tensor text_id;  // [n] int64: canonical text id (false negatives share it)
};

// The rows of `e` whose batch.intact and batch.valid are set. Throws an Error naming the field whose shape does
// not match [B,A(,E)].
Instances intact_instances(const Embeddings& e, const data::Batch& batch);

// Rows [begin, begin + count) of `all` (tests and benches that play one rank of a global batch).
Instances slice_instances(const Instances& all, int64_t begin, int64_t count);

// Throws an Error naming `what` and the field unless the five tensors describe the same n instances.
void check_instances(const Instances& instances, const char* what);

}  // namespace cagcl::model
