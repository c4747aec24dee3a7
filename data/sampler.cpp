#include "data/sampler.hpp"

#include <numeric>

#include <fmt/format.h>

#include "common/error.hpp"
#include "data/keyed_rng.hpp"

namespace cagcl::data {
namespace {

template <class It>
void shuffle_range(It first, It last, KeyedRng& rng) {
  // Fisher-Yates with the project's own unbiased integers (std::shuffle is implementation-defined).
  const auto n = static_cast<uint64_t>(last - first);
  for (uint64_t i = n; i > 1; --i)
    std::swap(first[static_cast<int64_t>(i - 1)], first[static_cast<int64_t>(rng.below(i))]);
}

}  // namespace

Sampler::Sampler(SamplerOptions o) : options_(std::move(o)) {
  const auto bad = [](const std::string& what) { throw UsageError("sampler: " + what); };
  if (options_.num_samples < 1) bad(fmt::format("num_samples {} must be >= 1", options_.num_samples));
  if (options_.world_size < 1) bad(fmt::format("world_size {} must be >= 1", options_.world_size));
  if (options_.rank < 0 || options_.rank >= options_.world_size) {
    bad(fmt::format("rank {} not in [0, {})", options_.rank, options_.world_size));
  }
  if (options_.batch_size < 1) bad(fmt::format("batch_size {} must be >= 1", options_.batch_size));
  if (options_.drop_last && global_batch() > options_.num_samples) {
    bad(fmt::format("global batch {} (world_size {} x batch_size {}) exceeds the {} samples of an epoch",
                    global_batch(), options_.world_size, options_.batch_size, options_.num_samples));
  }
  if (!options_.shard_sizes.empty()) {
    int64_t sum = 0;
    for (int64_t s : options_.shard_sizes) {
      if (s < 0) bad("negative shard size");
      sum += s;
    }
    if (sum != options_.num_samples) bad(fmt::format("shard sizes sum to {}, not {}", sum, options_.num_samples));
    if (options_.block_size < 1) bad(fmt::format("block_size {} must be >= 1", options_.block_size));
  }
}

int64_t Sampler::steps_per_epoch() const {
  const int64_t g = global_batch();
  return options_.drop_last ? options_.num_samples / g : (options_.num_samples + g - 1) / g;
}

std::vector<int64_t> Sampler::epoch_order(int64_t epoch) const {
  std::vector<int64_t> order(static_cast<size_t>(options_.num_samples));
  std::iota(order.begin(), order.end(), int64_t{0});
  if (!options_.shuffle) return order;
  KeyedRng rng(options_.seed, RngPurpose::sampler, static_cast<uint64_t>(epoch));
  if (options_.shard_sizes.empty()) {
    shuffle_range(order.begin(), order.end(), rng);
    return order;
  }
  // Shard-aware: consecutive reads of one rank stay inside one shard, and mostly inside one block of
  // neighbouring samples (same file region), which suits network filesystems.
  struct Span {
    int64_t begin, size;
  };
  std::vector<Span> shards;
  int64_t begin = 0;
  for (int64_t s : options_.shard_sizes) {
    shards.push_back({begin, s});
    begin += s;
  }
  shuffle_range(shards.begin(), shards.end(), rng);
  size_t out = 0;
  for (const Span& shard : shards) {
    std::vector<Span> blocks;
    for (int64_t b = 0; b < shard.size; b += options_.block_size) {
      blocks.push_back({shard.begin + b, std::min(options_.block_size, shard.size - b)});
    }
    shuffle_range(blocks.begin(), blocks.end(), rng);
    for (const Span& block : blocks) {
      const size_t first = out;
      for (int64_t i = 0; i < block.size; ++i) order[out++] = block.begin + i;
      shuffle_range(order.begin() + static_cast<int64_t>(first), order.begin() + static_cast<int64_t>(out), rng);
    }
  }
  return order;
}

LocalBatch Sampler::batch_at(int64_t position) {
  if (position < 0) throw UsageError(fmt::format("sampler: negative position {}", position));
  const int64_t n = options_.num_samples, g = global_batch(), b = options_.batch_size;
  int64_t epoch = position / n, offset = position % n;
  if (options_.drop_last && n - offset < g) {  // the tail is too short for a full global batch: drop it
    ++epoch;
    offset = 0;
  }
  if (epoch != cached_epoch_) {
    cached_order_ = epoch_order(epoch);
    cached_epoch_ = epoch;
  }
  LocalBatch batch;
  batch.epoch = epoch;
  batch.position = epoch * n + offset;
  batch.next_position = offset + g >= n ? (epoch + 1) * n : batch.position + g;
  batch.indices.resize(static_cast<size_t>(b));
  for (int64_t j = 0; j < b; ++j) {
    const int64_t slot = offset + options_.rank * b + j;
    batch.indices[static_cast<size_t>(j)] = slot < n ? cached_order_[static_cast<size_t>(slot)] : -1;
  }
  return batch;
}

}  // namespace cagcl::data
