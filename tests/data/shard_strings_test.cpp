// Shards store their strings fixed-length (docs/dataset-format.md): a variable-length string would be read by
// libhdf5 from the file's global heap, whose sizes it does not check (fuzzing crashed it in H5HG_read). The
// reader refuses such a string by name, before any read.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "data/hdf5.hpp"
#include "data/shard_reader.hpp"
#include "data/shard_writer.hpp"
#include "tests/data/storage_test_util.hpp"

namespace cagcl::data {
namespace {

using testing::expect_error;
using testing::make_sample;
using testing::TempDir;

herr_t expect_fixed_length(hid_t obj, const char* name, const H5A_info_t*, void* where) {
  h5::Handle attr(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
  h5::Handle type(H5Aget_type(attr), H5Tclose);
  if (H5Tget_class(type) == H5T_STRING) {
    EXPECT_EQ(H5Tis_variable_str(type), 0) << static_cast<const char*>(where) << "@" << name;
  }
  return 0;
}

herr_t expect_fixed_length_everywhere(hid_t obj, const char* name, const H5O_info_t* info, void*) {
  h5::Handle o(H5Oopen(obj, name, H5P_DEFAULT), H5Oclose);
  H5Aiterate2(o, H5_INDEX_NAME, H5_ITER_NATIVE, nullptr, expect_fixed_length, const_cast<char*>(name));
  if (info->type == H5O_TYPE_DATASET) {
    h5::Handle type(H5Dget_type(o), H5Tclose);
    if (H5Tget_class(type) == H5T_STRING) {
      EXPECT_EQ(H5Tis_variable_str(type), 0) << name;
    }
  }
  return 0;
}

TEST(ShardStrings, EveryStringIsFixedLengthAndReadsBackWhole) {
  TempDir dir;
  const auto path = dir / "shard.h5";
  Sample odd = make_sample(1);
  odd.findings = std::string(70000, 'x') + " \xc3\xa9panchement";  // beyond HDF5's 64 KiB attribute limit, UTF-8
  odd.impression = "";
  odd.patient =
      "p\xe2\x80\x94"
      "1";
  {
    ShardWriter w(path, testing::test_layout(best_available_compression()));
    w.append(make_sample(0));
    w.append(odd);
    w.append(make_sample(2, /*sentences=*/false));
    w.finish();
  }
  h5::init();
  {
    h5::Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    ASSERT_TRUE(file.valid());
    ASSERT_GE(H5Ovisit(file, H5_INDEX_NAME, H5_ITER_NATIVE, expect_fixed_length_everywhere, nullptr), 0);
  }
  const ShardReader r(path);
  testing::expect_same_sample(r.read(0), make_sample(0));
  testing::expect_same_sample(r.read(1), odd);
  testing::expect_same_sample(r.read(2), make_sample(2, false));
  EXPECT_EQ(r.layout().anatomies, testing::test_layout().anatomies);
  EXPECT_EQ(r.layout().labels, testing::test_layout().labels);
}

// Rewrites samples/000001@split as a variable-length string, as schema 1 wrote it, then breaks the global heap
// that holds it: its one object claims 2^40 bytes. libhdf5 1.10 copies that many.
void plant_hostile_vlen_split(const std::filesystem::path& path) {
  h5::init();
  {
    h5::Handle file(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose);
    ASSERT_TRUE(file.valid());
    h5::Handle group(H5Gopen2(file, "samples/000001", H5P_DEFAULT), H5Gclose);
    ASSERT_GE(H5Adelete(group, "split"), 0);
    h5::Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(type, H5T_VARIABLE);
    h5::Handle space(H5Screate(H5S_SCALAR), H5Sclose);
    h5::Handle attr(H5Acreate2(group, "split", type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
    const char* value = "train";
    ASSERT_GE(H5Awrite(attr, type, &value), 0);
  }
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  // A collection: "GCOL", version, 3 reserved, 8-byte size; then objects: 2-byte index, 2-byte refcount,
  // 4 reserved, 8-byte size.
  const size_t gcol = bytes.find("GCOL");
  ASSERT_NE(gcol, std::string::npos) << "no global heap collection: the attribute was not variable-length";
  const uint64_t huge = uint64_t{1} << 40;
  f.seekp(static_cast<std::streamoff>(gcol + 16 + 8));
  f.write(reinterpret_cast<const char*>(&huge), sizeof huge);
  ASSERT_TRUE(f.good());
}

TEST(ShardStrings, AVariableLengthStringIsRefusedByNameBeforeLibhdf5ReadsItsGlobalHeap) {
  TempDir dir;
  const auto path = dir / "shard.h5";
  {
    ShardWriter w(path, testing::test_layout(best_available_compression()));
    for (int i = 0; i < 3; ++i) w.append(make_sample(i));
    w.finish();
  }
  plant_hostile_vlen_split(path);
  const ShardReader r(path);
  testing::expect_same_sample(r.read(0), make_sample(0));
  expect_error<DataError>([&] { r.read_metadata(1); }, {path.string(), "samples/000001@split", "variable-length"});
}

}  // namespace
}  // namespace cagcl::data
