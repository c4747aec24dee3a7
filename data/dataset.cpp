#include "data/dataset.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "common/checksum.hpp"
#include "common/error.hpp"

namespace cagcl::data {
namespace {

// Returns the bytes hashed (0 when the checksum is not verified).
uint64_t check_file_against_entry(const std::filesystem::path& file, const ShardEntry& e, const std::string& field,
                                  const std::string& manifest, bool verify_checksum) {
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(file, ec);
  if (ec)
    throw IoError(fmt::format("{}: cannot stat ({}), listed in {} field '{}'", file.string(), ec.message(), manifest,
                              field + ".file"));
  if (bytes != e.bytes) {
    throw DataError(fmt::format("{}: size {} bytes differs from {} field '{}.bytes' ({}): truncated or replaced?",
                                file.string(), bytes, manifest, field, e.bytes));
  }
  if (!verify_checksum) return 0;
  const std::string sha = sha256_file(file);
  if (sha != e.sha256) {
    throw DataError(fmt::format("{}: sha256 {} differs from {} field '{}.sha256' ({})", file.string(), sha, manifest,
                                field, e.sha256));
  }
  return bytes;
}

void check_reader_against_entry(const ShardReader& r, const Manifest& m, const ShardEntry& e, const std::string& field,
                                const std::string& manifest) {
  const auto mismatch = [&](const std::string& what, const std::string& in_shard, const std::string& in_manifest) {
    throw DataError(fmt::format("{}: {} {} differs from {} field '{}' ({})", r.path().string(), what, in_shard,
                                manifest, in_manifest, field));
  };
  if (r.size() != e.num_samples) mismatch("num_samples", std::to_string(r.size()), field + ".num_samples");
  if (r.layout().first_index != e.first_index) {
    mismatch("first_index", std::to_string(r.layout().first_index), field + ".first_index");
  }
  if (r.layout().anatomies != m.anatomies) mismatch("anatomies", "list", "anatomies");
  if (r.layout().labels != m.labels) mismatch("labels", "list", "labels");
  if (to_string(r.layout().compression) != m.compression) {
    mismatch("compression", to_string(r.layout().compression), "compression");
  }
}

}  // namespace

Dataset Dataset::open(const std::filesystem::path& dir, DatasetOptions options) {
  return open_verified(dir, verify(dir, options));
}

Dataset::Verified Dataset::verify(const std::filesystem::path& dir, const DatasetOptions& options) {
  const std::filesystem::path json = dir / kManifestFileName;
  Verified v{Manifest::load(json)};
  const auto& shards = v.manifest.shards;
  for (size_t i = 0; i < shards.size(); ++i) {
    const bool mine = static_cast<int>(i % static_cast<size_t>(std::max(1, options.verify_share_count))) ==
                      options.verify_share_index;
    v.bytes += check_file_against_entry(dir / shards[i].file, shards[i], fmt::format("shards[{}]", i), json.string(),
                                        options.verify_checksums && mine);
  }
  return v;
}

Dataset Dataset::open_verified(const std::filesystem::path& dir, Verified verified) {
  Dataset ds;
  ds.dir_ = dir;
  ds.verified_bytes_ = verified.bytes;
  const std::filesystem::path json = dir / kManifestFileName;
  ds.manifest_ = std::move(verified.manifest);  // the one verify() checked the shards against
  for (size_t i = 0; i < ds.manifest_.shards.size(); ++i) {
    const ShardEntry& e = ds.manifest_.shards[i];
    const std::string field = fmt::format("shards[{}]", i);
    // The size once more (cheap): the file may have been replaced since verify().
    check_file_against_entry(dir / e.file, e, field, json.string(), false);
    ShardReader reader(dir / e.file);
    check_reader_against_entry(reader, ds.manifest_, e, field, json.string());
    ds.shards_.push_back(std::move(reader));
  }
  return ds;
}

int64_t Dataset::size() const { return manifest_.num_samples(); }
const Manifest& Dataset::manifest() const { return manifest_; }
const std::filesystem::path& Dataset::dir() const { return dir_; }
const std::vector<ShardReader>& Dataset::shards() const { return shards_; }

std::pair<size_t, int64_t> Dataset::locate(int64_t global_index) const {
  if (global_index < 0 || global_index >= size()) {
    throw DataError(fmt::format("{}: sample index {} out of range [0, {})", dir_.string(), global_index, size()));
  }
  // Shards are contiguous and sorted by first_index (Manifest::load checks it): find the last shard that
  // starts at or before the index. Empty shards are skipped because the next one starts at the same place.
  const auto& entries = manifest_.shards;
  auto it = std::upper_bound(entries.begin(), entries.end(), global_index,
                             [](int64_t g, const ShardEntry& e) { return g < e.first_index; });
  const size_t shard = static_cast<size_t>(std::distance(entries.begin(), it)) - 1;
  return {shard, global_index - entries[shard].first_index};
}

Sample Dataset::read(int64_t global_index) const {
  const auto [shard, local] = locate(global_index);
  return shards_[shard].read(local);
}

Sample Dataset::read_metadata(int64_t global_index) const {
  const auto [shard, local] = locate(global_index);
  return shards_[shard].read_metadata(local);
}

}  // namespace cagcl::data
