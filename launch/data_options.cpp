#include <torch/torch.h>

#include "launch/data_options.hpp"

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

}  // namespace cagcl
