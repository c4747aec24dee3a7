#pragma once
// Reads a sample's voxels as raw stored chunks (H5Dread_chunk, under HDF5's global lock) and decodes them
// afterwards with data/chunk_decoder.hpp (no lock), so N loader threads decompress in parallel instead of
// queueing behind one HDF5 call. Falls back to H5Dread for a filter pipeline the decoder does not know.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "data/chunk_decoder.hpp"
#include "data/sample.hpp"
#include "data/shard_reader.hpp"

namespace cagcl::data {

// One voxel dataset as read under the lock: either its stored chunks or (fallback) its decoded bytes.
struct StoredVolume {
  std::string where;               // "FILE: member 'samples/000003/volume'", for errors
  std::array<int64_t, 3> shape{};  // D, H, W
  std::array<int64_t, 3> chunk{};  // chunk D, H, W
  size_t element_size = 0;
  FilterPipeline pipeline;
  struct Chunk {
    std::array<int64_t, 3> offset{};  // first voxel of the chunk
    uint32_t filter_mask = 0;
    std::vector<uint8_t> bytes;  // as stored
  };
  std::vector<Chunk> chunks;
  std::vector<uint8_t> decoded;  // fallback: the whole dataset, decoded by HDF5
};

// Opens `member` of the shard (int16 or uint8 voxels of exactly `shape`) and reads its stored chunks.
// Validates the chunk shape and every stored chunk size before allocating. DataError naming file + member.
StoredVolume read_stored_volume(const ShardReader& shard, const std::string& member, bool is_int16,
                                const std::array<int64_t, 3>& shape);

// Decodes the chunks into `out` (shape voxels of the dataset's element type; out bytes = voxels * size).
void decode_volume(StoredVolume&& stored, void* out, size_t out_bytes);

// What ShardReader::read does: its metadata, then the voxels, decoded outside the HDF5 lock and validated.
Sample read_sample_lock_free(const ShardReader& shard, int64_t local_index);

}  // namespace cagcl::data
