#pragma once
// Writes one shard file (layout in docs/dataset-format.md). The file is built under "<path>.partial" and
// renamed to `path` by finish() after an fsync, so a crash never leaves a file that looks complete.
#include <cstdint>
#include <filesystem>
#include <memory>

#include "data/sample.hpp"
#include "data/shard_layout.hpp"

namespace cagcl::data {

class ShardWriter {
 public:
  ShardWriter(std::filesystem::path path, ShardLayout layout);  // UsageError on a bad layout
  ShardWriter(ShardWriter&&) noexcept;
  ShardWriter& operator=(ShardWriter&&) noexcept;
  ~ShardWriter();  // without finish(): closes and deletes the .partial file

  // Validates the sample against the layout (UsageError naming the field) and appends it.
  void append(const Sample& sample);
  // Writes the sample count, closes, fsyncs, renames into place. Returns the number of samples written.
  int64_t finish();

  int64_t size() const;
  const std::filesystem::path& path() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cagcl::data
