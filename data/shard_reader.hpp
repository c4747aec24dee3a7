#pragma once
// Random access to one shard. read() may be called from many threads at once: the thread-safe HDF5 build
// serialises their HDF5 calls behind its global lock, and the voxel chunks are decoded outside it
// (data/raw_volume_reader.hpp; docs/dataset-format.md, "Threads").
#include <cstdint>
#include <filesystem>
#include <memory>

#include <hdf5.h>

#include "data/sample.hpp"
#include "data/shard_layout.hpp"

namespace cagcl::data {

class ShardReader {
 public:
  // Opens and validates the root attributes (format, schema version, lists, compression, sample count,
  // first index). DataError naming the file and attribute.
  explicit ShardReader(std::filesystem::path path);
  ShardReader(ShardReader&&) noexcept;
  ShardReader& operator=(ShardReader&&) noexcept;
  ~ShardReader();

  int64_t size() const;
  const ShardLayout& layout() const;
  const std::filesystem::path& path() const;

  // DataError naming the file and the index on an out-of-range index, and the member (and chunk) on bad content.
  // The voxels are decoded by data/chunk_decoder.hpp, sizes checked, unless the filter pipeline is one cagcl
  // never writes (then H5Dread).
  Sample read(int64_t local_index) const;
  // Everything except the voxels (volume/anatomy stay empty; shape is filled): cheap, for label stats.
  Sample read_metadata(int64_t local_index) const;
  // read() with the voxels decoded by HDF5 itself (H5Dread, under its global lock): the baseline of bench/ and
  // of the decoder's tests. Not for untrusted shards (see read()).
  Sample read_with_h5dread(int64_t local_index) const;

  // Voxel data only (volume + anatomy of all samples): decoded bytes vs bytes on disk.
  struct Storage {
    uint64_t raw_bytes = 0;
    uint64_t stored_bytes = 0;
  };
  Storage storage() const;

  // The underlying file handle, for tools that go below the sample level (bench raw chunk reads).
  hid_t file_handle() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "samples/000042": the group of local sample `index` (6 digits, more when the index needs them).
std::string sample_group_path(int64_t local_index);

}  // namespace cagcl::data
