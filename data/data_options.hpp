#pragma once
// The data pipeline's options from the resolved configuration, so that `data.*` and `train.*` keys reach
// the sampler and the loader in one place (the training and evaluation commands call these).
#include <cstdint>

#include "config/config.hpp"
#include "data/dataset.hpp"
#include "data/loader.hpp"
#include "data/sampler.hpp"
#include "data/text_pipeline.hpp"

namespace cagcl {

// Training: seeded shuffle (shard-aware when data.shard_aware_order), drop_last. Evaluation: dataset
// order, padded last batch. UsageError from the Sampler when W * train.batch_size exceeds the dataset.
data::SamplerOptions sampler_options(const Config& config, const data::Dataset& dataset, int64_t rank,
                                     int64_t world_size, bool train);
// Crop, window, flips, workers, prefetch, seed, bad-sample policy; A and the label count from the dataset.
data::LoaderOptions loader_options(const Config& config, const data::Dataset& dataset, bool train);

// The WordPiece vocabulary: `text.vocab` when set, else the dataset's own (the manifest's generator.vocab,
// written by `cagcl synth`). UsageError naming `text.vocab` when neither exists.
std::filesystem::path vocab_path(const Config& config, const data::Dataset& dataset);
// Augmented (training) or canonical (evaluation) anatomy texts, WordPiece-encoded to text.max_length.
data::TextPipeline text_pipeline(const Config& config, const data::Dataset& dataset);

}  // namespace cagcl
