// Every kind of damage to a shard must surface as a DataError that names the file and the member at fault.
#include <gtest/gtest.h>

#include <fstream>
#include <vector>

#include "data/hdf5.hpp"
#include "data/shard_reader.hpp"
#include "data/shard_writer.hpp"
#include "tests/data/storage_test_util.hpp"

namespace cagcl::data {
namespace {

using testing::chunk_location;
using testing::expect_error;
using testing::flip_byte;
using testing::make_sample;
using testing::TempDir;

class ShardCorruption : public ::testing::Test {
 protected:
  void SetUp() override {
    ShardWriter w(path_, testing::test_layout(best_available_compression()));
    for (int i = 0; i < 3; ++i) w.append(make_sample(i));
    w.finish();
  }

  // Opens the good shard read-write for an edit through the HDF5 C API.
  template <class F>
  void edit(F&& f) {
    h5::init();
    h5::Handle file(H5Fopen(path_.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose);
    ASSERT_TRUE(file.valid());
    f(file.get());
  }

  void replace_with(const char* member, hid_t type, const h5::Dims& dims) {
    edit([&](hid_t file) {
      ASSERT_GE(H5Ldelete(file, member, H5P_DEFAULT), 0);
      h5::Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
      h5::Handle d(H5Dcreate2(file, member, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose);
      ASSERT_TRUE(d.valid());
    });
  }

  TempDir dir_;
  std::filesystem::path path_ = dir_ / "shard.h5";
  std::string file_ = path_.string();
};

TEST_F(ShardCorruption, TruncatedFileIsRejectedOnOpen) {
  std::filesystem::resize_file(path_, std::filesystem::file_size(path_) / 2);
  expect_error<DataError>([&] { ShardReader r(path_); }, {file_});
}

TEST_F(ShardCorruption, FlippedByteInCompressedChunkNamesTheVolume) {
  const auto [addr, size] = chunk_location(path_, "/samples/000001/volume");
  ASSERT_GT(size, 8u);
  flip_byte(path_, addr + size / 2);
  ShardReader r(path_);
  testing::expect_same_sample(r.read(0), make_sample(0));  // other samples still read
  expect_error<DataError>([&] { r.read(1); }, {file_, "samples/000001/volume"});
}

// libhdf5's H5D__select_read finding (tests/fuzz/corpus/shard_reader/finding-filtered-chunk-decodes-short): H5Dread
// copies a whole chunk out of a stored chunk that decodes to fewer bytes. Here every filter is marked skipped, so the
// 100 stored bytes are the "decoded" chunk. read() (evaluation, inspect) must decode chunks itself, sizes checked.
TEST_F(ShardCorruption, AFilteredChunkThatDecodesShortOfItsSizeIsRefusedNamingTheChunk) {
  edit([&](hid_t file) {
    h5::Handle d(H5Dopen2(file, "samples/000001/volume", H5P_DEFAULT), H5Dclose);
    h5::Handle dcpl(H5Dget_create_plist(d), H5Pclose);
    const int filters = H5Pget_nfilters(dcpl);
    ASSERT_GT(filters, 0);
    const hsize_t origin[3] = {0, 0, 0};
    const std::vector<uint8_t> short_chunk(100, 7);
    ASSERT_GE(H5Dwrite_chunk(d, H5P_DEFAULT, (1u << filters) - 1u, origin, short_chunk.size(), short_chunk.data()), 0);
  });
  ShardReader r(path_);
  testing::expect_same_sample(r.read(0), make_sample(0));
  expect_error<DataError>([&] { r.read(1); },
                          {file_, "samples/000001/volume", "chunk at [0,0,0]", "decodes to 100 bytes"});
}

TEST_F(ShardCorruption, MissingMemberIsNamed) {
  edit([](hid_t file) { ASSERT_GE(H5Ldelete(file, "/samples/000002/text_id", H5P_DEFAULT), 0); });
  ShardReader r(path_);
  expect_error<DataError>([&] { r.read(2); }, {file_, "'samples/000002/text_id'", "missing"});
}

TEST_F(ShardCorruption, WrongDtypeIsNamedWithBothTypes) {
  replace_with("/samples/000000/volume", H5T_IEEE_F32LE, {8, 12, 10});
  ShardReader r(path_);
  expect_error<DataError>([&] { r.read(0); }, {file_, "member 'samples/000000/volume': expected int16, found float32"});
}

TEST_F(ShardCorruption, WrongShapeIsNamed) {
  replace_with("/samples/000001/anatomy", H5T_STD_U8LE, {8, 12, 9});
  replace_with("/samples/000002/labels", H5T_STD_U8LE, {5});
  ShardReader r(path_);
  expect_error<DataError>([&] { r.read(1); }, {file_, "samples/000001/anatomy", "[8,12,10]", "[8,12,9]"});
  expect_error<DataError>([&] { r.read_metadata(2); }, {file_, "samples/000002/labels", "[18]", "[5]"});
}

TEST_F(ShardCorruption, HugeDeclaredShapeIsRejectedBeforeAllocating) {
  replace_with("/samples/000000/volume", H5T_STD_I16LE, {4096, 4096, 4096});
  ShardReader r(path_);
  expect_error<DataError>([&] { r.read(0); }, {file_, "samples/000000/volume", "exceeds the limit"});
}

// A compact dataset keeps its data in the object header, where libhdf5 fails most on damaged files, and an
// external or virtual dataset reads other files the shard names. cagcl writes none of them (contiguous or chunked
// only): the reader refuses them by name, before any read.
TEST_F(ShardCorruption, CompactAndExternalDatasetsAreRefusedUnread) {
  const std::string outside = (dir_ / "outside.bin").string();
  std::ofstream(outside, std::ios::binary) << std::string(64, '\1');
  edit([&](hid_t file) {
    const double spacing[3] = {1.5, 0.75, 0.75};
    ASSERT_GE(H5Ldelete(file, "/samples/000000/spacing", H5P_DEFAULT), 0);
    h5::Handle compact(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
    ASSERT_GE(H5Pset_layout(compact, H5D_COMPACT), 0);
    const hsize_t three = 3;
    h5::Handle s3(H5Screate_simple(1, &three, nullptr), H5Sclose);
    h5::Handle d(H5Dcreate2(file, "/samples/000000/spacing", H5T_IEEE_F64LE, s3, H5P_DEFAULT, compact, H5P_DEFAULT),
                 H5Dclose);
    ASSERT_GE(H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, spacing), 0);

    ASSERT_GE(H5Ldelete(file, "/samples/000001/labels", H5P_DEFAULT), 0);
    h5::Handle external(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
    ASSERT_GE(H5Pset_external(external, outside.c_str(), 0, 64), 0);
    const hsize_t labels = 18;
    h5::Handle s18(H5Screate_simple(1, &labels, nullptr), H5Sclose);
    h5::Handle e(H5Dcreate2(file, "/samples/000001/labels", H5T_STD_U8LE, s18, H5P_DEFAULT, external, H5P_DEFAULT),
                 H5Dclose);
    ASSERT_TRUE(e.valid());
  });
  ShardReader r(path_);
  expect_error<DataError>([&] { r.read_metadata(0); }, {file_, "samples/000000/spacing", "compact"});
  expect_error<DataError>([&] { r.read_metadata(1); }, {file_, "samples/000001/labels", "external"});
  testing::expect_same_sample(r.read(2), make_sample(2));
}

TEST_F(ShardCorruption, SentenceArraysOfDifferentLengthAreRejected) {
  replace_with("/samples/000000/sentence_section", H5T_STD_U8LE, {2});
  ShardReader r(path_);
  expect_error<DataError>([&] { r.read_metadata(0); }, {file_, "samples/000000/sentence_section"});
}

TEST_F(ShardCorruption, OutOfRangeSentenceAnatomyIsRejected) {
  edit([](hid_t file) {
    h5::Handle d(H5Dopen2(file, "/samples/000000/sentence_anatomy", H5P_DEFAULT), H5Dclose);
    const uint8_t bad[4] = {1, 1, 9, 3};
    ASSERT_GE(H5Dwrite(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, bad), 0);
  });
  ShardReader r(path_);
  expect_error<DataError>([&] { r.read_metadata(0); }, {file_, "samples/000000/sentence_anatomy", "9"});
}

TEST_F(ShardCorruption, AnatomyValueBeyondTheListIsRejected) {
  edit([](hid_t file) {
    h5::Handle d(H5Dopen2(file, "/samples/000001/anatomy", H5P_DEFAULT), H5Dclose);
    std::vector<uint8_t> values(8 * 12 * 10, 1);
    values[100] = 7;
    ASSERT_GE(H5Dwrite(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), 0);
  });
  ShardReader r(path_);
  expect_error<DataError>([&] { r.read(1); }, {file_, "samples/000001", "'anatomy'", "label 7"});
  EXPECT_NO_THROW(r.read_metadata(1));  // metadata reads skip the voxels by design
}

TEST_F(ShardCorruption, UnknownSchemaVersionIsRejectedOnOpen) {
  edit([](hid_t file) {
    ASSERT_GE(H5Adelete(file, "schema_version"), 0);
    h5::write_attr_int64(file, "schema_version", {"x", ""}, 99);
  });
  expect_error<DataError>([&] { ShardReader r(path_); }, {file_, "schema_version", "99"});
}

TEST_F(ShardCorruption, MissingRootAttributeIsNamed) {
  edit([](hid_t file) { ASSERT_GE(H5Adelete(file, "labels"), 0); });
  expect_error<DataError>([&] { ShardReader r(path_); }, {file_, "'/@labels'", "missing"});
}

TEST_F(ShardCorruption, SampleCountDisagreeingWithGroupsIsRejected) {
  edit([](hid_t file) { ASSERT_GE(H5Ldelete(file, "/samples/000002", H5P_DEFAULT), 0); });
  expect_error<DataError>([&] { ShardReader r(path_); }, {file_, "samples", "num_samples"});
}

TEST_F(ShardCorruption, OutOfRangeIndexNamesFileAndIndex) {
  ShardReader r(path_);
  expect_error<DataError>([&] { r.read(3); }, {file_, "index 3"});
  expect_error<DataError>([&] { r.read_metadata(-1); }, {file_, "index -1"});
}

TEST_F(ShardCorruption, NotAnHdf5FileIsRejected) {
  std::ofstream(path_, std::ios::trunc) << "not hdf5";
  expect_error<DataError>([&] { ShardReader r(path_); }, {file_});
}

}  // namespace
}  // namespace cagcl::data
