#pragma once
// Undoes HDF5's filter pipeline on one stored chunk, in our own code, so decompression runs outside the
// thread-safe HDF5's global lock (only the raw-chunk read, H5Dread_chunk, holds it). Understood pipelines
// are the ones the shard writer makes -- [lz4 (32004)] or [shuffle, deflate], each optionally followed by
// fletcher32 -- and anything else is reported as unsupported so the caller falls back to H5Dread.
//
// Stored chunks are untrusted: every size read from them (checksum trailer, LZ4 header and block sizes,
// deflate output) is checked against the chunk's known decoded size before anything is allocated or
// copied, and every failure is a DataError that starts with the caller's "FILE: member 'M'" prefix.
#include <hdf5.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace cagcl::data {

enum class FilterKind { shuffle, deflate, lz4, fletcher32 };

struct Filter {
  FilterKind kind;
  size_t element_size = 0;  // shuffle only: bytes per element (cd_values[0], set by HDF5 at creation)
};

struct FilterPipeline {
  bool supported = false;       // false: some filter or layout this decoder does not know; use H5Dread
  std::vector<Filter> filters;  // in the order HDF5 applied them on write
};

// Reads the pipeline of a dataset creation property list (H5Dget_create_plist). Chunked layout only.
FilterPipeline read_pipeline(hid_t dcpl);

// HDF5's Fletcher-32 (H5_checksum_fletcher32): 16-bit big-endian words, sums reduced mod 65535 lazily.
uint32_t hdf5_fletcher32(const uint8_t* data, size_t size);

// Decodes `stored` (the bytes H5Dread_chunk returned; consumed) into exactly `decoded_bytes` bytes. Bit i
// of `filter_mask` set = filter i was skipped for this chunk (HDF5's convention). `where` prefixes errors.
std::vector<uint8_t> decode_chunk(const FilterPipeline& pipeline, uint32_t filter_mask, std::vector<uint8_t> stored,
                                  size_t decoded_bytes, const std::string& where);

}  // namespace cagcl::data
