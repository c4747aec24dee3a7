#include "data/chunk_decoder.hpp"

#include <lz4.h>
#include <zlib.h>

#include <cstring>

#include <fmt/format.h>

#include "common/error.hpp"
#include "data/compression.hpp"

namespace cagcl::data {
namespace {

[[noreturn]] void corrupt(const std::string& where, const std::string& what) {
  throw DataError(fmt::format("{}: corrupt chunk: {}", where, what));
}

uint64_t load_be(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
  return v;
}

void verify_fletcher32(std::vector<uint8_t>& buf, const std::string& where) {
  if (buf.size() < 4) corrupt(where, fmt::format("{} bytes, too short for the Fletcher-32 trailer", buf.size()));
  const size_t n = buf.size() - 4;
  const uint8_t* t = buf.data() + n;
  // HDF5 writes the checksum little-endian; before 1.6.3 it wrote it with its 16-bit halves byte-swapped on
  // little-endian machines, and HDF5 still accepts that form, so this does too.
  const uint32_t stored = uint32_t{t[0]} | uint32_t{t[1]} << 8 | uint32_t{t[2]} << 16 | uint32_t{t[3]} << 24;
  const uint32_t sum = hdf5_fletcher32(buf.data(), n);
  const uint8_t* c = reinterpret_cast<const uint8_t*>(&sum);
  const uint32_t reversed = uint32_t{c[1]} << 24 | uint32_t{c[0]} << 16 | uint32_t{c[3]} << 8 | uint32_t{c[2]};
  if (stored != sum && stored != reversed) {
    corrupt(where, fmt::format("Fletcher-32 checksum mismatch (stored {:08x}, computed {:08x})", stored, sum));
  }
  buf.resize(n);
}

// The HDF5 LZ4 plugin's format: 8-byte BE decoded size, 4-byte BE block size, then per block a 4-byte BE
// compressed size and the block, stored as-is when its compressed size equals the block size.
std::vector<uint8_t> decode_lz4(const std::vector<uint8_t>& in, size_t decoded_bytes, const std::string& where) {
  if (in.size() < 12) corrupt(where, fmt::format("LZ4 header needs 12 bytes, chunk has {}", in.size()));
  const uint64_t original = load_be(in.data(), 8);
  uint64_t block = load_be(in.data() + 8, 4);
  if (original != decoded_bytes) {
    corrupt(where, fmt::format("LZ4 header says {} decoded bytes, the chunk holds {}", original, decoded_bytes));
  }
  if (block == 0) corrupt(where, "LZ4 block size 0");
  block = std::min(block, original);  // as the plugin does
  std::vector<uint8_t> out(decoded_bytes);
  size_t pos = 12, done = 0;
  while (done < decoded_bytes) {
    const size_t this_block = static_cast<size_t>(std::min<uint64_t>(block, decoded_bytes - done));
    if (in.size() - pos < 4) corrupt(where, fmt::format("LZ4 block at byte {} truncated", pos));
    const uint64_t csize = load_be(in.data() + pos, 4);
    pos += 4;
    if (csize > in.size() - pos) {
      corrupt(where,
              fmt::format("LZ4 block of {} bytes at byte {} runs past the chunk end ({})", csize, pos, in.size()));
    }
    if (csize == this_block) {
      std::memcpy(out.data() + done, in.data() + pos, this_block);
    } else {
      const int got = LZ4_decompress_safe(reinterpret_cast<const char*>(in.data() + pos),
                                          reinterpret_cast<char*>(out.data() + done), static_cast<int>(csize),
                                          static_cast<int>(this_block));
      if (got != static_cast<int>(this_block)) {
        corrupt(where, fmt::format("LZ4 block at byte {} does not decode to {} bytes", pos, this_block));
      }
    }
    pos += static_cast<size_t>(csize);
    done += this_block;
  }
  if (pos != in.size()) corrupt(where, fmt::format("{} trailing bytes after the LZ4 blocks", in.size() - pos));
  return out;
}

std::vector<uint8_t> decode_deflate(const std::vector<uint8_t>& in, size_t decoded_bytes, const std::string& where) {
  std::vector<uint8_t> out(decoded_bytes);
  uLongf out_len = static_cast<uLongf>(decoded_bytes);
  const int rc = uncompress(out.data(), &out_len, in.data(), static_cast<uLong>(in.size()));
  if (rc != Z_OK || out_len != decoded_bytes) {
    corrupt(where, fmt::format("deflate stream does not decode to {} bytes (zlib code {})", decoded_bytes, rc));
  }
  return out;
}

std::vector<uint8_t> unshuffle(const std::vector<uint8_t>& in, size_t element_size) {
  if (element_size <= 1 || in.empty()) return in;  // memcpy of an empty vector's null data is undefined
  std::vector<uint8_t> out(in.size());
  const size_t n = in.size() / element_size;
  for (size_t b = 0; b < element_size; ++b) {
    const uint8_t* src = in.data() + b * n;
    for (size_t i = 0; i < n; ++i) out[i * element_size + b] = src[i];
  }
  // HDF5's shuffle leaves a tail shorter than one element in place.
  std::memcpy(out.data() + n * element_size, in.data() + n * element_size, in.size() - n * element_size);
  return out;
}

}  // namespace

FilterPipeline read_pipeline(hid_t dcpl) {
  FilterPipeline p;
  if (H5Pget_layout(dcpl) != H5D_CHUNKED) return p;
  const int n = H5Pget_nfilters(dcpl);
  if (n <= 0) return p;  // unfiltered chunks: nothing to win, H5Dread is as fast
  for (int i = 0; i < n; ++i) {
    unsigned flags = 0, config = 0;
    size_t nelmts = 8;
    unsigned cd[8] = {};
    char name[64] = {};
    const H5Z_filter_t id =
        H5Pget_filter2(dcpl, static_cast<unsigned>(i), &flags, &nelmts, cd, sizeof name, name, &config);
    if (id == H5Z_FILTER_SHUFFLE && nelmts >= 1 && cd[0] >= 1 && cd[0] <= 16) {
      p.filters.push_back({FilterKind::shuffle, cd[0]});
    } else if (id == H5Z_FILTER_DEFLATE) {
      p.filters.push_back({FilterKind::deflate});
    } else if (id == kLz4FilterId) {
      p.filters.push_back({FilterKind::lz4});
    } else if (id == H5Z_FILTER_FLETCHER32) {
      p.filters.push_back({FilterKind::fletcher32});
    } else {
      p.filters.clear();
      return p;
    }
  }
  p.supported = true;
  return p;
}

uint32_t hdf5_fletcher32(const uint8_t* data, size_t size) {
  size_t len = size / 2;
  uint32_t sum1 = 0, sum2 = 0;
  while (len) {
    size_t tlen = len > 360 ? 360 : len;  // 360 words cannot overflow 32-bit sums before the reduction
    len -= tlen;
    do {
      sum1 += (uint32_t{data[0]} << 8) | data[1];
      data += 2;
      sum2 += sum1;
    } while (--tlen);
    sum1 = (sum1 & 0xffff) + (sum1 >> 16);
    sum2 = (sum2 & 0xffff) + (sum2 >> 16);
  }
  if (size % 2) {
    sum1 += uint32_t{*data} << 8;
    sum2 += sum1;
    sum1 = (sum1 & 0xffff) + (sum1 >> 16);
    sum2 = (sum2 & 0xffff) + (sum2 >> 16);
  }
  sum1 = (sum1 & 0xffff) + (sum1 >> 16);
  sum2 = (sum2 & 0xffff) + (sum2 >> 16);
  return (sum2 << 16) | sum1;
}

std::vector<uint8_t> decode_chunk(const FilterPipeline& pipeline, uint32_t filter_mask, std::vector<uint8_t> buf,
                                  size_t decoded_bytes, const std::string& where) {
  if (!pipeline.supported) throw Error(where + ": decode_chunk called for an unsupported filter pipeline");
  for (size_t k = pipeline.filters.size(); k-- > 0;) {
    if (k < 32 && ((filter_mask >> k) & 1u) != 0) continue;  // skipped on write (optional filter that failed)
    const Filter& f = pipeline.filters[k];
    switch (f.kind) {
      case FilterKind::fletcher32: verify_fletcher32(buf, where); break;
      case FilterKind::lz4: buf = decode_lz4(buf, decoded_bytes, where); break;
      case FilterKind::deflate: buf = decode_deflate(buf, decoded_bytes, where); break;
      case FilterKind::shuffle:
        if (buf.size() != decoded_bytes) corrupt(where, "shuffled data of the wrong size");
        buf = unshuffle(buf, f.element_size);
        break;
    }
  }
  if (buf.size() != decoded_bytes) {
    corrupt(where, fmt::format("decodes to {} bytes, expected {}", buf.size(), decoded_bytes));
  }
  return buf;
}

}  // namespace cagcl::data
