#include <torch/torch.h>

#include "data/data_options.hpp"

#include <memory>

#include "common/error.hpp"

namespace cagcl {

data::SamplerOptions sampler_options(const Config& config, const data::Dataset& dataset, int64_t rank,
                                     int64_t world_size, bool train) {
  data::SamplerOptions o;
  o.num_samples = dataset.size();
  o.world_size = world_size;
  o.rank = rank;
  o.batch_size = config.train.batch_size;
  o.seed = config.train.seed;
  o.shuffle = train;
  o.drop_last = train;
  if (train && config.data.shard_aware_order) {
    for (const auto& shard : dataset.manifest().shards) o.shard_sizes.push_back(shard.num_samples);
  }
  return o;
}

data::LoaderOptions loader_options(const Config& config, const data::Dataset& dataset, bool train) {
  data::LoaderOptions o;
  o.train = train;
  o.crop = config.data.crop;
  o.hu_min = config.data.hu_min;
  o.hu_max = config.data.hu_max;
  o.flip_prob = config.data.flip_prob;
  o.workers = config.data.workers;
  o.prefetch = config.data.prefetch;
  o.seed = config.train.seed;
  o.skip_bad_samples = config.data.skip_bad_samples;
  o.max_bad_fraction = config.data.max_bad_fraction;
  o.num_anatomies = static_cast<int64_t>(dataset.manifest().anatomies.size());
  o.num_labels = static_cast<int64_t>(dataset.manifest().labels.size());
  return o;
}

std::filesystem::path vocab_path(const Config& config, const data::Dataset& dataset) {
  if (!config.text.vocab.empty()) {
    if (!std::filesystem::is_regular_file(config.text.vocab))
      throw UsageError("config: key 'text.vocab': no such file '" + config.text.vocab + "'");
    return config.text.vocab;
  }
  const auto& generator = dataset.manifest().generator;
  if (generator.is_object() && generator.contains("vocab") && generator["vocab"].is_string()) {
    const auto own = dataset.dir() / generator["vocab"].get<std::string>();
    // The manifest is untrusted: only a plain file name inside the dataset directory is accepted.
    if (own.filename() == generator["vocab"].get<std::string>() && std::filesystem::is_regular_file(own)) return own;
  }
  throw UsageError("config: key 'text.vocab' is empty and dataset " + dataset.dir().string() +
                   " has no vocab.txt of its own: set --set text.vocab=PATH");
}

data::TextPipeline text_pipeline(const Config& config, const data::Dataset& dataset) {
  auto tokenizer = std::make_shared<const data::Tokenizer>(data::Tokenizer::from_file(vocab_path(config, dataset)));
  data::AugmentOptions augment;
  augment.p_aug = config.augment.p_aug;
  augment.p_keep = config.augment.p_keep;
  augment.shuffle = config.augment.shuffle;
  return data::make_text_pipeline(std::move(tokenizer), dataset.manifest().anatomies, augment, config.train.seed,
                                  config.text.max_length);
}

}  // namespace cagcl
