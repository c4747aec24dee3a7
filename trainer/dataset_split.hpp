#pragma once
// The samples of one split ("train" / "valid", each sample's `split` attribute) as global indices, and a
// SampleSource over them: the sampler shuffles positions 0..n-1 of the split, the source maps them to the
// dataset's global indices. Patients never straddle splits (the dataset's writer guarantees it).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "comm/communicator.hpp"
#include "data/dataset.hpp"
#include "data/loader.hpp"

namespace cagcl::trainer {

// Collective: every rank opens the dataset at `dir`; with options.verify_checksums each shard's SHA-256 is
// checked by one rank (rank r takes the shards i with i % world == r) while the others wait in work_together. A
// bad shard stops every rank, naming it.
std::shared_ptr<const data::Dataset> open_dataset_together(Communicator& comm, const std::filesystem::path& dir,
                                                           data::DatasetOptions options);

struct SplitIndex {
  std::vector<int64_t> train, valid;  // global indices, ascending
  int64_t held_out = 0;               // "test" samples: counted, never read by training or validation
};

// Reads every sample's metadata once (no voxels).
SplitIndex index_splits(const data::Dataset& dataset);

// A source over `indices` (position i -> dataset sample indices[i]). `dataset` must outlive it.
data::SampleSource subset_source(const data::Dataset& dataset, std::shared_ptr<const std::vector<int64_t>> indices);

// Per-shard sample counts of `indices` (for the shard-aware sampler), in shard order.
std::vector<int64_t> subset_shard_sizes(const data::Dataset& dataset, const std::vector<int64_t>& indices);

}  // namespace cagcl::trainer
