#pragma once
// dataset.json: the index of a dataset directory (format in docs/dataset-format.md). It is written last,
// atomically, so a directory that has one holds a complete dataset.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace cagcl::data {

inline constexpr const char* kManifestFileName = "dataset.json";
inline constexpr const char* kManifestFormat = "cagcl-dataset";

struct ShardEntry {
  std::string file;  // plain file name inside the dataset directory
  int64_t num_samples = 0;
  int64_t first_index = 0;  // global index of the shard's sample 0
  uint64_t bytes = 0;       // file size
  std::string sha256;       // lower-case hex, as `sha256sum` prints it
};

struct Manifest {
  int schema_version = 0;
  std::vector<std::string> anatomies;
  std::vector<std::string> labels;
  std::string compression;  // to_string(Compression)
  std::vector<ShardEntry> shards;
  // False for a dataset without report text (Rad-ChestCT's public release): it can be evaluated, not
  // trained on. Written as "reports"; a file without the field has reports.
  bool has_reports = true;
  nlohmann::json generator = nlohmann::json::object();  // free-form provenance (command, seed, ...)

  int64_t num_samples() const;

  nlohmann::json to_json() const;
  // Validates everything (see docs); DataError "FILE: field 'shards[2].num_samples' ...". `file` only
  // names the source in messages.
  static Manifest from_json(const nlohmann::json& j, const std::string& file);
  static Manifest load(const std::filesystem::path& dataset_json);
  // Atomic: temp name, fsync, rename, fsync of the directory.
  void save(const std::filesystem::path& dataset_json) const;
};

}  // namespace cagcl::data
