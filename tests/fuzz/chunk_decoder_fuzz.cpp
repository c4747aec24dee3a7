// libFuzzer harness: HDF5 chunk decoding outside HDF5 (data/chunk_decoder.hpp), plus a differential check of
// its Fletcher-32 against libhdf5's own H5_checksum_fletcher32 (and an independent restatement of it).
//
// Input: byte 0 picks the pipeline (bits 0-2) and the shuffle element size (bits 3-6, + 1), byte 1 is the
// filter mask, bytes 2-4 the decoded size (little-endian, below 1 MiB: in a shard it comes from the dataset's
// chunk dims, not from the chunk), the rest is the stored chunk.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "common/error.hpp"
#include "data/chunk_decoder.hpp"

// HDF5's own Fletcher-32, exported by libhdf5 (declared in its private H5private.h, so declared here).
extern "C" uint32_t H5_checksum_fletcher32(const void* data, size_t len);

namespace {

using cagcl::data::Filter;
using cagcl::data::FilterKind;
using cagcl::data::FilterPipeline;

// HDF5's H5_checksum_fletcher32 (src/H5checksum.c) restated independently: big-endian 16-bit words, both sums
// start at 0 (not 0xffff), folded every 360 words; an odd last byte is the high byte of one more word.
uint32_t hdf5_reference_fletcher32(const uint8_t* p, size_t n) {
  uint32_t a = 0, b = 0;
  for (size_t words = n / 2; words > 0;) {
    const size_t block = std::min<size_t>(words, 360);
    words -= block;
    for (size_t i = 0; i < block; ++i, p += 2) {
      a += (uint32_t{p[0]} << 8) | uint32_t{p[1]};
      b += a;
    }
    a = (a & 0xffff) + (a >> 16);
    b = (b & 0xffff) + (b >> 16);
  }
  if (n % 2 != 0) {
    a += uint32_t{p[0]} << 8;
    b += a;
    a = (a & 0xffff) + (a >> 16);
    b = (b & 0xffff) + (b >> 16);
  }
  a = (a & 0xffff) + (a >> 16);
  b = (b & 0xffff) + (b >> 16);
  return (b << 16) | a;
}

FilterPipeline pipeline_of(uint8_t selector) {
  const Filter shuffle{FilterKind::shuffle, size_t{1} + ((selector >> 3) & 15)};
  const Filter deflate{FilterKind::deflate}, lz4{FilterKind::lz4}, fletcher{FilterKind::fletcher32};
  FilterPipeline p;
  p.supported = true;
  switch (selector & 7) {
    case 0: p.filters = {lz4}; break;
    case 1: p.filters = {lz4, fletcher}; break;
    case 2: p.filters = {shuffle, deflate}; break;
    case 3: p.filters = {shuffle, deflate, fletcher}; break;
    case 4: p.filters = {fletcher}; break;
    case 5: p.filters = {shuffle}; break;
    case 6: p.filters = {shuffle, fletcher}; break;
    default: p.filters = {}; break;
  }
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 0) {  // HDF5 never checksums an empty buffer
    const uint32_t sum = cagcl::data::hdf5_fletcher32(data, size);
    if (sum != H5_checksum_fletcher32(data, size) || sum != hdf5_reference_fletcher32(data, size)) std::abort();
    // The input plus its checksum, little-endian as HDF5 stores it, must pass the decoder's verification.
    std::vector<uint8_t> stored(data, data + size);
    for (int i = 0; i < 4; ++i) stored.push_back(static_cast<uint8_t>(sum >> (8 * i)));
    try {
      if (cagcl::data::decode_chunk(pipeline_of(4), 0, stored, size, "fuzz: member 'm'") !=
          std::vector<uint8_t>(data, data + size))
        std::abort();
    } catch (const cagcl::Error&) {
      std::abort();
    }
  }
  if (size < 5) return 0;
  const FilterPipeline pipeline = pipeline_of(data[0]);
  const uint32_t filter_mask = data[1];
  const size_t decoded = (size_t{data[2]} | size_t{data[3]} << 8 | size_t{data[4]} << 16) & 0xFFFFF;
  try {
    const std::vector<uint8_t> out = cagcl::data::decode_chunk(
        pipeline, filter_mask, std::vector<uint8_t>(data + 5, data + size), decoded, "fuzz: member 'm'");
    if (out.size() != decoded) std::abort();  // decode_chunk promises exactly decoded_bytes
  } catch (const cagcl::Error&) {
  }
  return 0;
}
