#include "data/compression.hpp"

#include "common/error.hpp"
#include "data/hdf5.hpp"

namespace cagcl::data {

bool lz4_available() {
  h5::init();
  // H5Zfilter_avail loads the plugin on first use, so this also proves the shared object can be opened.
  return H5Zfilter_avail(kLz4FilterId) > 0;
}

Compression best_available_compression() { return lz4_available() ? Compression::lz4 : Compression::deflate_shuffle; }

std::string to_string(Compression c) {
  switch (c) {
    case Compression::lz4: return "lz4";
    case Compression::deflate_shuffle: return "deflate+shuffle";
  }
  return "?";
}

Compression compression_from_string(const std::string& s) {
  if (s == "lz4") return Compression::lz4;
  if (s == "deflate+shuffle") return Compression::deflate_shuffle;
  throw UsageError("unknown compression '" + s + "' (expected 'lz4' or 'deflate+shuffle')");
}

void add_filters(hid_t dcpl, Compression c) {
  switch (c) {
    case Compression::lz4: {
      if (!lz4_available()) {
        throw UsageError(
            "compression 'lz4' asked for, but the HDF5 LZ4 filter (id 32004) cannot be loaded; "
            "install hdf5-filter-plugin or use 'deflate+shuffle'");
      }
      // cd_values[0] = 0: the plugin's default block size (1 GiB, i.e. one LZ4 block per chunk).
      const unsigned cd[1] = {0};
      H5Pset_filter(dcpl, kLz4FilterId, H5Z_FLAG_MANDATORY, 1, cd);
      break;
    }
    case Compression::deflate_shuffle:
      // Shuffle groups the high bytes of the int16 HU values, which are nearly constant: deflate then
      // compresses roughly twice as well.
      H5Pset_shuffle(dcpl);
      H5Pset_deflate(dcpl, kDeflateLevel);
      break;
  }
  H5Pset_fletcher32(dcpl);
}

}  // namespace cagcl::data
