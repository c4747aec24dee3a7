#pragma once
// Writes a whole dataset directory: N samples split into K contiguous shards "shard-00000.h5", ...
// (shard k holds global indices [k*N/K, (k+1)*N/K)), then dataset.json LAST and atomically: a directory
// without dataset.json is not a dataset.
#include <cstdint>
#include <filesystem>
#include <optional>

#include <nlohmann/json.hpp>

#include "data/manifest.hpp"
#include "data/sample.hpp"
#include "data/shard_layout.hpp"
#include "data/shard_writer.hpp"

namespace cagcl::data {

// "shard-00007.h5"
std::string shard_file_name(int64_t shard_index);

class DatasetWriter {
 public:
  // Creates `dir` if needed. UsageError when num_shards is not in [1, max(total_samples, 1)], when the
  // layout is bad, or when dir already holds a dataset.json (delete it first to overwrite).
  DatasetWriter(std::filesystem::path dir, ShardLayout layout, int64_t total_samples, int64_t num_shards,
                nlohmann::json generator);

  // In global index order. UsageError beyond total_samples or on a sample that does not fit the layout.
  void append(const Sample& sample);
  // Closes the last shard, checksums every shard, writes dataset.json. UsageError if fewer samples than
  // announced were appended.
  Manifest finish();

  int64_t appended() const { return appended_; }

 private:
  void open_shard(int64_t shard);
  int64_t shard_begin(int64_t shard) const;

  std::filesystem::path dir_;
  ShardLayout layout_;
  int64_t total_ = 0;
  int64_t num_shards_ = 0;
  nlohmann::json generator_;
  int64_t appended_ = 0;
  int64_t current_ = -1;
  std::optional<ShardWriter> writer_;
  Manifest manifest_;
};

}  // namespace cagcl::data
