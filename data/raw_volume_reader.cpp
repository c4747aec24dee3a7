#include "data/raw_volume_reader.hpp"

#include <cstring>

#include <fmt/format.h>

#include "common/error.hpp"
#include "data/hdf5.hpp"
#include "data/shard_format.hpp"
#include "data/shard_layout.hpp"

namespace cagcl::data {
namespace {

// A stored chunk may be slightly larger than its decoded size (incompressible LZ4 blocks carry 4-byte
// headers, deflate adds a few bytes per 16 KiB, Fletcher-32 4); anything beyond this bound is corrupt.
size_t max_stored_bytes(size_t decoded) { return decoded + decoded / 8 + 4096; }

}  // namespace

StoredVolume read_stored_volume(const ShardReader& shard, const std::string& member, bool is_int16,
                                const std::array<int64_t, 3>& shape) {
  h5::init();
  const h5::Where w{shard.path().string(), member};
  StoredVolume sv;
  sv.where = w.prefix();
  sv.shape = shape;
  h5::Handle d(H5Dopen2(shard.file_handle(), member.c_str(), H5P_DEFAULT), H5Dclose);
  if (!d.valid()) h5::fail_data(w, "cannot open dataset");
  const h5::Dims dims =
      h5::checked_shape(d, w, is_int16 ? h5::Dtype::i16 : h5::Dtype::u8, 3, static_cast<uint64_t>(kMaxVoxels));
  for (size_t i = 0; i < 3; ++i) {
    if (static_cast<int64_t>(dims[i]) != shape[i]) {
      h5::fail_data(w, fmt::format("shape [{},{},{}] differs from the volume's [{},{},{}]", dims[0], dims[1], dims[2],
                                   shape[0], shape[1], shape[2]));
    }
  }
  sv.element_size = is_int16 ? 2 : 1;
  const size_t total_bytes = static_cast<size_t>(shape[0] * shape[1] * shape[2]) * sv.element_size;
  h5::Handle dcpl(H5Dget_create_plist(d), H5Pclose);
  if (!dcpl.valid()) h5::fail_data(w, "cannot read the creation property list");
  sv.pipeline = read_pipeline(dcpl);
  hsize_t cdims[3] = {0, 0, 0};
  if (sv.pipeline.supported && H5Pget_chunk(dcpl, 3, cdims) != 3) sv.pipeline.supported = false;
  if (!sv.pipeline.supported) {
    // The same bound as every other dataset read: a header may declare a volume the file does not hold.
    h5::check_stored(d, w, total_bytes);
    sv.decoded.resize(total_bytes);
    if (H5Dread(d, is_int16 ? H5T_NATIVE_INT16 : H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, sv.decoded.data()) <
        0) {
      h5::fail_data(w, "read failed (corrupt chunk or checksum mismatch?)");
    }
    return sv;
  }
  uint64_t chunk_voxels = 1;
  for (size_t i = 0; i < 3; ++i) {
    if (cdims[i] < 1 || cdims[i] > static_cast<hsize_t>(kMaxDim)) {
      h5::fail_data(w, fmt::format("chunk axis {} has length {}, not in [1, {}]", i, cdims[i], kMaxDim));
    }
    sv.chunk[i] = static_cast<int64_t>(cdims[i]);
    chunk_voxels *= cdims[i];
  }
  if (chunk_voxels > static_cast<uint64_t>(kMaxVoxels)) h5::fail_data(w, "chunk shape too large");
  const size_t chunk_bytes = static_cast<size_t>(chunk_voxels) * sv.element_size;
  for (int64_t z = 0; z < shape[0]; z += sv.chunk[0]) {
    for (int64_t y = 0; y < shape[1]; y += sv.chunk[1]) {
      for (int64_t x = 0; x < shape[2]; x += sv.chunk[2]) {
        StoredVolume::Chunk c;
        c.offset = {z, y, x};
        const hsize_t off[3] = {static_cast<hsize_t>(z), static_cast<hsize_t>(y), static_cast<hsize_t>(x)};
        hsize_t nbytes = 0;
        if (H5Dget_chunk_storage_size(d, off, &nbytes) < 0 || nbytes == 0) {
          h5::fail_data(w, fmt::format("chunk at [{},{},{}] is missing", z, y, x));
        }
        if (nbytes > max_stored_bytes(chunk_bytes)) {
          h5::fail_data(w, fmt::format("chunk at [{},{},{}] stores {} bytes, more than possible for {} decoded bytes",
                                       z, y, x, nbytes, chunk_bytes));
        }
        c.bytes.resize(static_cast<size_t>(nbytes));
        if (H5Dread_chunk(d, H5P_DEFAULT, off, &c.filter_mask, c.bytes.data()) < 0) {
          h5::fail_data(w, fmt::format("raw read of the chunk at [{},{},{}] failed", z, y, x));
        }
        sv.chunks.push_back(std::move(c));
      }
    }
  }
  return sv;
}

void decode_volume(StoredVolume&& sv, void* out, size_t out_bytes) {
  const size_t es = sv.element_size;
  const auto [D, H, W] = sv.shape;
  if (out_bytes != static_cast<size_t>(D * H * W) * es) throw Error(sv.where + ": decode_volume: wrong output size");
  if (!sv.pipeline.supported) {
    std::memcpy(out, sv.decoded.data(), out_bytes);
    return;
  }
  const auto [cd, ch, cw] = sv.chunk;
  const size_t chunk_bytes = static_cast<size_t>(cd * ch * cw) * es;
  auto* dst = static_cast<uint8_t*>(out);
  for (auto& c : sv.chunks) {
    const std::string where = fmt::format("{} (chunk at [{},{},{}])", sv.where, c.offset[0], c.offset[1], c.offset[2]);
    const std::vector<uint8_t> chunk = decode_chunk(sv.pipeline, c.filter_mask, std::move(c.bytes), chunk_bytes, where);
    // Edge chunks are stored whole; copy only the part inside the dataset.
    const int64_t nz = std::min(cd, D - c.offset[0]), ny = std::min(ch, H - c.offset[1]),
                  nx = std::min(cw, W - c.offset[2]);
    for (int64_t z = 0; z < nz; ++z) {
      for (int64_t y = 0; y < ny; ++y) {
        const size_t src = static_cast<size_t>((z * ch + y) * cw) * es;
        const size_t d = static_cast<size_t>(((c.offset[0] + z) * H + c.offset[1] + y) * W + c.offset[2]) * es;
        std::memcpy(dst + d, chunk.data() + src, static_cast<size_t>(nx) * es);
      }
    }
  }
}

Sample read_sample_lock_free(const ShardReader& shard, int64_t local_index) {
  Sample s = shard.read_metadata(local_index);  // range check, metadata and its validation
  const std::string group = sample_group_path(local_index);
  try {
    StoredVolume volume = read_stored_volume(shard, group + "/" + shard_format::kVolume, true, s.shape);
    StoredVolume anatomy = read_stored_volume(shard, group + "/" + shard_format::kAnatomy, false, s.shape);
    // From here on no HDF5 call: this is the part that runs in parallel across loader threads.
    s.volume.resize(static_cast<size_t>(s.voxels()));
    s.anatomy.resize(static_cast<size_t>(s.voxels()));
    decode_volume(std::move(volume), s.volume.data(), s.volume.size() * sizeof(int16_t));
    decode_volume(std::move(anatomy), s.anatomy.data(), s.anatomy.size());
    validate_sample<DataError>(s, shard.layout(), fmt::format("{}: member '{}'", shard.path().string(), group), true);
  } catch (const DataError& e) {
    throw DataError(fmt::format("{} (volume '{}')", e.what(), s.name));  // the metadata read gave the name
  }
  return s;
}

}  // namespace cagcl::data
