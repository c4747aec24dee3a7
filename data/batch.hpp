#pragma once
// One rank's batch as the training step consumes it. Fixed shapes: B = train.batch_size, A anatomies,
// L = text.max_length, crop D x H x W. Rows whose `valid` is false are evaluation padding (all zero).
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace cagcl::data {

struct Batch {
  torch::Tensor image;             // [B,1,D,H,W] float32, HU windowed to [0, 1]
  torch::Tensor anatomy;           // [B,D,H,W] uint8 label map of the crop (0 = background, k = anatomy k)
  torch::Tensor intact;            // [B,A] bool: anatomy inside the crop and touching no face
  torch::Tensor normal;            // [B,A] bool: the anatomy has no sentence (normal template)
  torch::Tensor text_id;           // [B,A] int64: canonical text id (the uint64 bit pattern)
  torch::Tensor token_ids;         // [B,A,L] int64
  torch::Tensor attention;         // [B,A,L] int64 attention mask (1 = token, 0 = padding)
  torch::Tensor labels;            // [B,num_labels] uint8
  torch::Tensor valid;             // [B] bool: false for evaluation padding rows
  std::vector<int64_t> indices;    // [B] global sample index actually loaded (-1 = padding)
  std::vector<std::string> names;  // [B] volume names ("" = padding)
  int64_t epoch = 0;
  int64_t position = 0;       // global sample position of this global batch (sampler.hpp)
  int64_t next_position = 0;  // where a run resumed after this batch starts
  int64_t bad_samples = 0;    // samples skipped as bad while making this batch (data.skip_bad_samples)
};

}  // namespace cagcl::data
