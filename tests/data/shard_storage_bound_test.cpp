// A shard's voxel datasets declare their shape; HDF5 fills whatever the file does not store with the fill
// value, so a small hostile shard could make a reader allocate and fill gigabytes. Before a whole dataset is
// read, its shape is bounded by what the file stores for it: every chunk present, and no more decoded bytes
// than the stored ones can expand to.
#include <gtest/gtest.h>

#include "data/hdf5.hpp"
#include "data/raw_volume_reader.hpp"
#include "data/shard_reader.hpp"
#include "data/shard_writer.hpp"
#include "tests/data/storage_test_util.hpp"

namespace cagcl::data {
namespace shard_storage_bound_test {
namespace {

using testing::expect_error;
using testing::make_sample;
using testing::TempDir;

constexpr hsize_t kDepth = 256, kSide = 512;  // 64 Mi voxels: 128 MiB of int16 if it were read

class ShardStorageBound : public ::testing::Test {
 protected:
  void SetUp() override {
    ShardWriter w(path_, testing::test_layout(best_available_compression()));
    w.append(make_sample(0));
    w.finish();
  }

  // Replaces the sample's volume and anatomy by datasets of kDepth x kSide x kSide that store nothing, or, with
  // `chunked`, whose first chunk only is written.
  void replace_voxels(bool chunked, bool write_first_chunk) {
    h5::init();
    h5::Handle file(H5Fopen(path_.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose);
    ASSERT_TRUE(file.valid());
    const h5::Dims dims{kDepth, kSide, kSide};
    for (const auto& [member, type] : {std::pair<const char*, hid_t>{"/samples/000000/volume", H5T_STD_I16LE},
                                       {"/samples/000000/anatomy", H5T_STD_U8LE}}) {
      ASSERT_GE(H5Ldelete(file, member, H5P_DEFAULT), 0);
      h5::Handle space(H5Screate_simple(3, dims.data(), nullptr), H5Sclose);
      h5::Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
      const hsize_t chunk[3] = {32, 64, 64};
      if (chunked) H5Pset_chunk(dcpl, 3, chunk);
      h5::Handle d(H5Dcreate2(file, member, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose);
      ASSERT_TRUE(d.valid());
      if (!write_first_chunk) continue;
      const std::vector<uint8_t> zeros(32 * 64 * 64 * 2, 0);
      const hsize_t start[3] = {0, 0, 0};
      h5::Handle mem(H5Screate_simple(3, chunk, nullptr), H5Sclose);
      ASSERT_GE(H5Sselect_hyperslab(space, H5S_SELECT_SET, start, nullptr, chunk, nullptr), 0);
      const hid_t native = type == H5T_STD_I16LE ? H5T_NATIVE_INT16 : H5T_NATIVE_UINT8;
      ASSERT_GE(H5Dwrite(d, native, mem, space, H5P_DEFAULT, zeros.data()), 0);
    }
  }

  TempDir dir_;
  std::filesystem::path path_ = dir_ / "shard.h5";
  std::string file_ = path_.string();
};

TEST_F(ShardStorageBound, ContiguousVolumeThatStoresNothingIsRefusedBeforeReading) {
  replace_voxels(/*chunked=*/false, false);
  ShardReader r(path_);
  expect_error<DataError>([&] { r.read(0); }, {file_, "samples/000000/volume", "stores"});
}

TEST_F(ShardStorageBound, ChunkedVolumeWithoutChunksIsRefusedBeforeReading) {
  replace_voxels(/*chunked=*/true, false);
  ShardReader r(path_);
  expect_error<DataError>([&] { r.read(0); }, {file_, "samples/000000/volume", "chunks"});
}

TEST_F(ShardStorageBound, ChunkedVolumeWithMissingChunksIsRefusedBeforeReading) {
  replace_voxels(/*chunked=*/true, /*write_first_chunk=*/true);
  ShardReader r(path_);
  expect_error<DataError>([&] { r.read(0); }, {file_, "samples/000000/volume", "1 of 512 chunks"});
}

// The loader's raw path reads a dataset whose filters it does not decode itself (here: contiguous, no chunks)
// through H5Dread; the same bound applies there.
TEST_F(ShardStorageBound, RawReadOfAContiguousVolumeThatStoresNothingIsRefused) {
  replace_voxels(/*chunked=*/false, false);
  ShardReader r(path_);
  expect_error<DataError>(
      [&] {
        read_stored_volume(r, "samples/000000/volume", /*is_int16=*/true, {kDepth, kSide, kSide});
      },
      {file_, "samples/000000/volume", "stores"});
}

TEST_F(ShardStorageBound, MetadataReadsDoNotTouchTheVoxels) {
  replace_voxels(/*chunked=*/true, false);
  ShardReader r(path_);
  EXPECT_EQ(r.read_metadata(0).shape, (std::array<int64_t, 3>{kDepth, kSide, kSide}));
}

}  // namespace
}  // namespace shard_storage_bound_test
}  // namespace cagcl::data
