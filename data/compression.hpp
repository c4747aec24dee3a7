#pragma once
// The compression a shard's voxel datasets use. LZ4 (HDF5 registered filter 32004, the Debian
// hdf5-filter-plugin) decodes several times faster than deflate, which matters because the data loader is
// decode-bound; deflate+shuffle is the fallback that every HDF5 build (and h5py) can read without plugins.
#include <hdf5.h>

#include <string>

namespace cagcl::data {

enum class Compression { lz4, deflate_shuffle };

inline constexpr H5Z_filter_t kLz4FilterId = 32004;
inline constexpr unsigned kDeflateLevel = 4;  // level 4: most of level 9's ratio on CT at a fraction of the time

bool lz4_available();
Compression best_available_compression();                 // lz4 when the plugin filter loads, else deflate+shuffle
std::string to_string(Compression);                       // "lz4", "deflate+shuffle"
Compression compression_from_string(const std::string&);  // UsageError on anything else

// Adds the compression filters, then Fletcher32 (last, so the checksum covers the stored, compressed bytes
// and a flipped byte is caught before it reaches the decompressor). UsageError when lz4 is asked for but
// the plugin is missing.
void add_filters(hid_t dcpl, Compression);

}  // namespace cagcl::data
