#include <gtest/gtest.h>

#include <fstream>

#include "data/chunk_decoder.hpp"
#include "data/compression.hpp"
#include "data/hdf5.hpp"
#include "data/raw_volume_reader.hpp"
#include "data/shard_reader.hpp"
#include "data/shard_writer.hpp"
#include "storage_test_util.hpp"

namespace cagcl::data {
namespace {
using testing::chunk_location;
using testing::flip_byte;
using testing::TempDir;

// A sample larger than one (32, 64, 64) chunk on two axes, so edge chunks are exercised.
Sample big_sample(int seed) {
  Sample s = testing::make_sample(seed);
  s.shape = {40, 70, 20};
  s.volume.resize(static_cast<size_t>(s.voxels()));
  s.anatomy.resize(s.volume.size());
  for (size_t i = 0; i < s.volume.size(); ++i) {
    s.volume[i] = static_cast<int16_t>((i * 7919 + static_cast<size_t>(seed)) % 1500) - 1000;  // some structure
    s.anatomy[i] = static_cast<uint8_t>((i / 300) % 4);
  }
  return s;
}

std::filesystem::path write_chunked_shard(const TempDir& dir, Compression c, int n) {
  const auto path = dir / ("shard-" + to_string(c) + ".h5");
  ShardWriter w(path, testing::test_layout(c));
  for (int i = 0; i < n; ++i) w.append(big_sample(i));
  w.finish();
  return path;
}

void expect_lock_free_equals_reader(Compression c) {
  TempDir dir;
  ShardReader r(write_chunked_shard(dir, c, 2));
  for (int64_t i = 0; i < 2; ++i) testing::expect_same_sample(read_sample_lock_free(r, i), r.read_with_h5dread(i));
}

TEST(ChunkDecoder, LockFreeReadEqualsShardReaderDeflateShuffle) {
  expect_lock_free_equals_reader(Compression::deflate_shuffle);
}

TEST(ChunkDecoder, LockFreeReadEqualsShardReaderLz4) {
  if (!lz4_available()) GTEST_SKIP() << "HDF5 LZ4 plugin not installed";
  expect_lock_free_equals_reader(Compression::lz4);
}

TEST(ChunkDecoder, PipelineOfTheWrittenShardIsUnderstood) {
  TempDir dir;
  ShardReader r(write_chunked_shard(dir, Compression::deflate_shuffle, 1));
  h5::Handle d(H5Dopen2(r.file_handle(), "samples/000000/volume", H5P_DEFAULT), H5Dclose);
  h5::Handle dcpl(H5Dget_create_plist(d), H5Pclose);
  const FilterPipeline p = read_pipeline(dcpl);
  ASSERT_TRUE(p.supported);
  ASSERT_EQ(p.filters.size(), 3u);
  EXPECT_EQ(p.filters[0].kind, FilterKind::shuffle);
  EXPECT_EQ(p.filters[0].element_size, 2u);
  EXPECT_EQ(p.filters[1].kind, FilterKind::deflate);
  EXPECT_EQ(p.filters[2].kind, FilterKind::fletcher32);
}

TEST(ChunkDecoder, UnknownPipelineFallsBackToH5Dread) {
  TempDir dir;
  const auto path = write_chunked_shard(dir, Compression::deflate_shuffle, 1);
  const Sample expected = ShardReader(path).read(0);
  {
    // Replace the volume with a contiguous (unfiltered, unchunked) copy, and the anatomy map with a
    // chunked one under the N-bit filter: neither pipeline is one the decoder knows.
    h5::Handle f(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose);
    ASSERT_TRUE(f.valid());
    const hsize_t dims[3] = {40, 70, 20};
    h5::Handle space(H5Screate_simple(3, dims, nullptr), H5Sclose);
    ASSERT_GE(H5Ldelete(f, "samples/000000/volume", H5P_DEFAULT), 0);
    h5::Handle v(H5Dcreate2(f, "samples/000000/volume", H5T_STD_I16LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                 H5Dclose);
    ASSERT_GE(H5Dwrite(v, H5T_NATIVE_INT16, H5S_ALL, H5S_ALL, H5P_DEFAULT, expected.volume.data()), 0);
    ASSERT_GE(H5Ldelete(f, "samples/000000/anatomy", H5P_DEFAULT), 0);
    h5::Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
    const hsize_t chunk[3] = {16, 16, 16};
    H5Pset_chunk(dcpl, 3, chunk);
    H5Pset_nbit(dcpl);
    h5::Handle a(H5Dcreate2(f, "samples/000000/anatomy", H5T_STD_U8LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT),
                 H5Dclose);
    ASSERT_GE(H5Dwrite(a, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, expected.anatomy.data()), 0);
    h5::Handle a_dcpl(H5Dget_create_plist(a), H5Pclose);
    EXPECT_FALSE(read_pipeline(a_dcpl).supported);
  }
  testing::expect_same_sample(read_sample_lock_free(ShardReader(path), 0), expected);
}

TEST(ChunkDecoder, CorruptChunkNamesFileAndMember) {
  TempDir dir;
  const auto path = write_chunked_shard(dir, Compression::deflate_shuffle, 1);
  flip_byte(path, chunk_location(path, "samples/000000/volume", 1).first + 20);
  ShardReader r(path);
  testing::expect_error<DataError>([&] { read_sample_lock_free(r, 0); },
                                   {path.string(), "samples/000000/volume", "Fletcher-32 checksum mismatch"});
}

TEST(ChunkDecoder, RejectsHostileSizes) {
  FilterPipeline lz4{true, {{FilterKind::lz4}}};
  // Header claims another decoded size than the chunk holds.
  std::vector<uint8_t> bad = {0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0x10, 0, 0, 0, 0, 4, 1, 2, 3, 4};
  testing::expect_error<DataError>([&] { decode_chunk(lz4, 0, bad, 64, "f.h5: member 'm'"); },
                                   {"f.h5: member 'm'", "4096 decoded bytes"});
  // Block size claims more bytes than the chunk has.
  std::vector<uint8_t> runs = {0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 8, 0, 0, 1, 0, 1, 2};
  testing::expect_error<DataError>([&] { decode_chunk(lz4, 0, runs, 8, "f.h5: member 'm'"); }, {"runs past"});
  // A stored (raw) block round-trips.
  std::vector<uint8_t> raw = {0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 4, 9, 8, 7, 6};
  EXPECT_EQ(decode_chunk(lz4, 0, raw, 4, "x"), (std::vector<uint8_t>{9, 8, 7, 6}));
  FilterPipeline fl{true, {{FilterKind::fletcher32}}};
  EXPECT_THROW(decode_chunk(fl, 0, {1, 2}, 0, "x"), DataError);
  // Skipped filter (mask bit set) is not applied.
  EXPECT_EQ(decode_chunk(fl, 1u, {1, 2}, 2, "x"), (std::vector<uint8_t>{1, 2}));
}

TEST(ChunkDecoder, Fletcher32KnownValue) {
  // HDF5 reads big-endian 16-bit words: 0x6162, 0x6364, then the odd byte as 0x6500; worked by hand.
  const std::string s = "abcde";
  EXPECT_EQ(hdf5_fletcher32(reinterpret_cast<const uint8_t*>(s.data()), s.size()), 0x4FF029C7u);
}

}  // namespace
}  // namespace cagcl::data
