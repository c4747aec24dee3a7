#pragma once
// The text-collapse index of a batch (the `text_collapse_index` gauge): the mean cosine similarity between the
// text embeddings of DIFFERENT anatomies. Near 1: the text encoder maps every anatomy's text to one cluster
// (the failure CA-GCL's global loss is there to prevent); well below the same-anatomy similarity: healthy.
#include <torch/torch.h>

#include <optional>

#include "model/instances.hpp"

namespace cagcl::model {

// Over the instances given (the trainer passes this rank's local batch: a monitoring figure, not a global
// statistic, and it costs no communication). Embeddings are normalised here, so any t works. nullopt when the
// instances hold fewer than two anatomies.
std::optional<double> text_collapse_index(const Instances& instances);

}  // namespace cagcl::model
