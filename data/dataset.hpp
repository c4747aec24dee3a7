#pragma once
// A dataset directory: dataset.json plus the shard files it lists.
#include <cstdint>
#include <filesystem>
#include <utility>
#include <vector>

#include "data/manifest.hpp"
#include "data/sample.hpp"
#include "data/shard_reader.hpp"

namespace cagcl::data {

struct DatasetOptions {
  bool verify_checksums = true;  // sha256 of every shard against the manifest (reads every byte once)
  // With verify_checksums: only the shards i with i % verify_share_count == verify_share_index (one rank's share
  // of the job's verification; the sizes and layouts of all shards are checked regardless).
  int verify_share_index = 0;
  int verify_share_count = 1;
};

class Dataset {
 public:
  // Loads the manifest, checks each shard's size and (if asked) sha256 against it, then opens the readers and
  // checks their sample counts, first indices and layouts agree with the manifest: verify(), then open_verified().
  static Dataset open(const std::filesystem::path& dir, DatasetOptions options = {});
  // The halves of open(), for processes that share the hashing (trainer/dataset_split.cpp). verify() loads the
  // manifest, checks every shard's size and the sha256 of this process's share, and returns the manifest with the
  // bytes it hashed. open_verified() parses every shard that manifest lists: call it only once every share is known
  // to be good, since libhdf5 does not survive every damaged file (docs/reliability.md) and the checksum is the
  // guard.
  struct Verified {
    Manifest manifest;
    uint64_t bytes = 0;  // hashed by this process
  };
  static Verified verify(const std::filesystem::path& dir, const DatasetOptions& options);
  static Dataset open_verified(const std::filesystem::path& dir, Verified verified);

  int64_t size() const;
  const Manifest& manifest() const;
  const std::filesystem::path& dir() const;
  const std::vector<ShardReader>& shards() const;
  // Bytes whose SHA-256 open() checked (the shards this process verified).
  uint64_t verified_bytes() const { return verified_bytes_; }

  // DataError naming the dataset dir and index when out of range. Thread-safe like ShardReader::read.
  Sample read(int64_t global_index) const;
  Sample read_metadata(int64_t global_index) const;

  // Which shard holds `global_index`, and where in it. Same out-of-range error as read().
  std::pair<size_t, int64_t> locate(int64_t global_index) const;

 private:
  std::filesystem::path dir_;
  Manifest manifest_;
  std::vector<ShardReader> shards_;
  uint64_t verified_bytes_ = 0;
};

}  // namespace cagcl::data
