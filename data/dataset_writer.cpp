#include "data/dataset_writer.hpp"

#include <fmt/format.h>

#include "common/atomic_file.hpp"
#include "common/checksum.hpp"
#include "common/error.hpp"
#include "data/schema.hpp"

namespace cagcl::data {

std::string shard_file_name(int64_t shard_index) { return fmt::format("shard-{:05d}.h5", shard_index); }

DatasetWriter::DatasetWriter(std::filesystem::path dir, ShardLayout layout, int64_t total_samples, int64_t num_shards,
                             nlohmann::json generator)
    : dir_(std::move(dir)),
      layout_(std::move(layout)),
      total_(total_samples),
      num_shards_(num_shards),
      generator_(std::move(generator)) {
  if (total_ < 0) throw UsageError(fmt::format("{}: total_samples {} is negative", dir_.string(), total_));
  if (num_shards_ < 1 || num_shards_ > std::max<int64_t>(total_, 1)) {
    throw UsageError(fmt::format("{}: num_shards {} is not in [1, {}] for {} samples", dir_.string(), num_shards_,
                                 std::max<int64_t>(total_, 1), total_));
  }
  layout_.first_index = 0;
  layout_.validate(dir_.string());
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) throw IoError(fmt::format("{}: cannot create directory: {}", dir_.string(), ec.message()));
  if (std::filesystem::exists(dir_ / kManifestFileName)) {
    throw UsageError(fmt::format("{}: already holds a {}; delete it first to overwrite the dataset", dir_.string(),
                                 kManifestFileName));
  }
  manifest_.schema_version = kSchemaVersion;
  manifest_.anatomies = layout_.anatomies;
  manifest_.labels = layout_.labels;
  manifest_.compression = to_string(layout_.compression);
  manifest_.generator = generator_;
  open_shard(0);
}

int64_t DatasetWriter::shard_begin(int64_t shard) const { return shard * total_ / num_shards_; }

void DatasetWriter::open_shard(int64_t shard) {
  ShardLayout layout = layout_;
  layout.first_index = shard_begin(shard);
  current_ = shard;
  writer_.emplace(dir_ / shard_file_name(shard), std::move(layout));
}

void DatasetWriter::append(const Sample& sample) {
  if (appended_ >= total_) {
    throw UsageError(fmt::format("{}: more than the announced {} samples appended", dir_.string(), total_));
  }
  // Closes shards until the one that owns this index is open (a shard never ends up empty: K <= N).
  while (appended_ >= shard_begin(current_ + 1)) {
    writer_->finish();
    open_shard(current_ + 1);
  }
  writer_->append(sample);
  ++appended_;
}

Manifest DatasetWriter::finish() {
  if (!writer_) throw UsageError(dir_.string() + ": DatasetWriter::finish called twice");
  if (appended_ != total_) {
    throw UsageError(fmt::format("{}: {} samples appended, {} announced", dir_.string(), appended_, total_));
  }
  writer_->finish();
  writer_.reset();
  for (int64_t k = 0; k < num_shards_; ++k) {
    const std::filesystem::path file = dir_ / shard_file_name(k);
    ShardEntry e;
    e.file = shard_file_name(k);
    e.first_index = shard_begin(k);
    e.num_samples = shard_begin(k + 1) - e.first_index;
    std::error_code ec;
    e.bytes = std::filesystem::file_size(file, ec);
    if (ec) throw IoError(fmt::format("{}: cannot stat: {}", file.string(), ec.message()));
    e.sha256 = sha256_file(file);
    manifest_.shards.push_back(std::move(e));
  }
  manifest_.save(dir_ / kManifestFileName);
  return manifest_;
}

}  // namespace cagcl::data
