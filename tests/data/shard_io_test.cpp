#include <gtest/gtest.h>

#include <thread>

#include "data/compression.hpp"
#include "data/hdf5.hpp"
#include "data/shard_reader.hpp"
#include "data/shard_writer.hpp"
#include "tests/data/storage_test_util.hpp"

namespace cagcl::data {
namespace {

using testing::expect_error;
using testing::make_sample;
using testing::TempDir;
using testing::test_layout;

std::filesystem::path write_shard(const std::filesystem::path& path, int n,
                                  Compression c = Compression::deflate_shuffle, int64_t first_index = 0) {
  ShardLayout layout = test_layout(c);
  layout.first_index = first_index;
  ShardWriter w(path, layout);
  for (int i = 0; i < n; ++i) w.append(make_sample(i, i != 1));
  EXPECT_EQ(w.finish(), n);
  return path;
}

std::vector<Compression> compressions() {
  std::vector<Compression> out{Compression::deflate_shuffle};
  if (lz4_available()) out.push_back(Compression::lz4);
  return out;
}

TEST(ShardIo, RoundTripsEveryFieldWithEachAvailableCompression) {
  for (Compression c : compressions()) {
    SCOPED_TRACE(to_string(c));
    TempDir dir;
    ShardReader r(write_shard(dir / "s.h5", 3, c, 40));
    ASSERT_EQ(r.size(), 3);
    EXPECT_EQ(r.layout().compression, c);
    EXPECT_EQ(r.layout().first_index, 40);
    EXPECT_EQ(r.layout().anatomies, test_layout().anatomies);
    EXPECT_EQ(r.layout().labels, test_layout().labels);
    for (int i = 0; i < 3; ++i) testing::expect_same_sample(r.read(i), make_sample(i, i != 1));
  }
}

TEST(ShardIo, LoadsTheLz4PluginOnThisMachine) {
  // The Debian plugin directory is registered at start-up; without it every shard falls back to deflate.
  if (!std::filesystem::exists("/usr/lib/x86_64-linux-gnu/hdf5/serial/plugins/libh5lz4.so")) {
    GTEST_SKIP() << "hdf5-filter-plugin not installed";
  }
  EXPECT_TRUE(lz4_available());
  EXPECT_EQ(best_available_compression(), Compression::lz4);
}

TEST(ShardIo, SampleWithoutSentencesRoundTripsAsAllNormal) {
  TempDir dir;
  ShardReader r(write_shard(dir / "s.h5", 2));
  Sample s = r.read(1);
  EXPECT_EQ(s.normal, (std::vector<uint8_t>{1, 1, 1}));
  for (const auto& list : s.conclusion) EXPECT_TRUE(list.empty());
  EXPECT_EQ(s.findings, "");
}

TEST(ShardIo, ReadMetadataSkipsVoxelsButKeepsShape) {
  TempDir dir;
  ShardReader r(write_shard(dir / "s.h5", 1));
  Sample s = r.read_metadata(0);
  EXPECT_TRUE(s.volume.empty());
  EXPECT_TRUE(s.anatomy.empty());
  testing::expect_same_metadata(s, make_sample(0));
}

TEST(ShardIo, SameSamplesGiveByteIdenticalFiles) {
  for (Compression c : compressions()) {
    SCOPED_TRACE(to_string(c));
    TempDir dir;
    write_shard(dir / "a.h5", 3, c);
    write_shard(dir / "b.h5", 3, c);
    EXPECT_EQ(testing::read_bytes(dir / "a.h5"), testing::read_bytes(dir / "b.h5"));
  }
}

TEST(ShardIo, WritesNoObjectTimestamps) {
  // Byte equality above could hold by luck within one second; the timestamps themselves must be absent.
  TempDir dir;
  ShardReader r(write_shard(dir / "s.h5", 1));
  for (const char* member :
       {"/", "/samples", "/samples/000000", "/samples/000000/volume", "/samples/000000/sentences"}) {
    H5O_info_t info{};
    ASSERT_GE(H5Oget_info_by_name2(r.file_handle(), member, &info, H5O_INFO_TIME, H5P_DEFAULT), 0) << member;
    EXPECT_EQ(info.ctime, 0) << member;
    EXPECT_EQ(info.mtime, 0) << member;
  }
}

TEST(ShardIo, UnfinishedShardExistsOnlyUnderThePartialName) {
  TempDir dir;
  {
    ShardWriter w(dir / "s.h5", test_layout());
    w.append(make_sample(0));
    EXPECT_FALSE(std::filesystem::exists(dir / "s.h5"));
    EXPECT_TRUE(std::filesystem::exists(dir / "s.h5.partial"));
  }
  // An abandoned writer removes its partial file.
  EXPECT_FALSE(std::filesystem::exists(dir / "s.h5.partial"));
  EXPECT_FALSE(std::filesystem::exists(dir / "s.h5"));
}

TEST(ShardIo, ConcurrentReadsReturnTheRightSamples) {
  TempDir dir;
  ShardReader r(write_shard(dir / "s.h5", 6));
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < 30; ++k) {
        const int i = (k * 7 + t) % 6;
        const Sample got = r.read(i);
        const Sample want = make_sample(i, i != 1);
        if (got.volume != want.volume || got.name != want.name || got.description != want.description) ++mismatches;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(ShardIo, StorageReportsCompressedVoxelBytes) {
  TempDir dir;
  ShardReader r(write_shard(dir / "s.h5", 2));
  const auto st = r.storage();
  EXPECT_EQ(st.raw_bytes, 2u * 8 * 12 * 10 * 3);
  EXPECT_GT(st.stored_bytes, 0u);
  EXPECT_LT(st.stored_bytes, st.raw_bytes);  // anatomy maps compress well
}

TEST(ShardWriterValidation, RejectsSamplesThatDoNotFitTheLayout) {
  TempDir dir;
  ShardWriter w(dir / "s.h5", test_layout());
  const std::string file = (dir / "s.h5").string();
  auto bad = [](auto edit) {
    Sample s = make_sample(0);
    edit(s);
    return s;
  };
  expect_error<UsageError>([&] { w.append(bad([](Sample& s) { s.labels.pop_back(); })); }, {file, "'labels'"});
  expect_error<UsageError>([&] { w.append(bad([](Sample& s) { s.text_id.push_back(1); })); }, {file, "'text_id'"});
  expect_error<UsageError>([&] { w.append(bad([](Sample& s) { s.volume.pop_back(); })); }, {file, "'volume'"});
  expect_error<UsageError>([&] { w.append(bad([](Sample& s) { s.anatomy[5] = 4; })); }, {file, "'anatomy'"});
  expect_error<UsageError>([&] { w.append(bad([](Sample& s) { s.normal[0] = 1; })); }, {file, "'normal[0]'"});
  expect_error<UsageError>([&] { w.append(bad([](Sample& s) { s.shape[1] = 0; })); }, {file, "'shape'"});
  expect_error<UsageError>([&] { w.append(bad([](Sample& s) { s.conclusion.pop_back(); })); }, {file, "'conclusion'"});
  w.append(make_sample(0));  // the writer is still usable after rejecting samples
  EXPECT_EQ(w.finish(), 1);
}

TEST(ShardWriterValidation, RejectsBadLayouts) {
  TempDir dir;
  ShardLayout layout = test_layout();
  layout.anatomies = {"lung", "lung"};
  expect_error<UsageError>([&] { ShardWriter(dir / "s.h5", layout); }, {"s.h5", "'anatomies'"});
  EXPECT_THROW(compression_from_string("zstd"), UsageError);
  EXPECT_EQ(compression_from_string(to_string(Compression::deflate_shuffle)), Compression::deflate_shuffle);
  EXPECT_EQ(compression_from_string("lz4"), Compression::lz4);
}

TEST(ShardIo, SampleGroupNamesAreZeroPadded) {
  EXPECT_EQ(sample_group_path(3), "samples/000003");
  EXPECT_EQ(sample_group_path(1234567), "samples/1234567");
}

}  // namespace
}  // namespace cagcl::data
