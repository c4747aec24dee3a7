#include <gtest/gtest.h>

#include <thread>

#include "common/checksum.hpp"
#include "data/dataset.hpp"
#include "data/dataset_writer.hpp"
#include "tests/data/storage_test_util.hpp"

namespace cagcl::data {
namespace {

using testing::expect_error;
using testing::make_sample;
using testing::TempDir;

Manifest write_dataset(const std::filesystem::path& dir, int n, int shards) {
  DatasetWriter w(dir, testing::test_layout(), n, shards, {{"command", "test"}, {"seed", 1}});
  for (int i = 0; i < n; ++i) w.append(make_sample(i, i % 3 != 0));
  return w.finish();
}

TEST(Dataset, SplitsIntoContiguousShardsAndReadsByGlobalIndex) {
  TempDir dir;
  const Manifest m = write_dataset(dir.path(), 10, 3);
  ASSERT_EQ(m.shards.size(), 3u);
  EXPECT_EQ(m.shards[0].file, "shard-00000.h5");
  EXPECT_EQ(m.shards[0].num_samples, 3);
  EXPECT_EQ(m.shards[1].first_index, 3);
  EXPECT_EQ(m.shards[2].first_index, 6);
  EXPECT_EQ(m.shards[2].num_samples, 4);
  EXPECT_EQ(m.shards[1].sha256, sha256_file(dir / "shard-00001.h5"));

  const Dataset ds = Dataset::open(dir.path());
  ASSERT_EQ(ds.size(), 10);
  EXPECT_EQ(ds.manifest().generator["command"], "test");
  EXPECT_EQ(ds.locate(6), (std::pair<size_t, int64_t>{2, 0}));
  EXPECT_EQ(ds.locate(5), (std::pair<size_t, int64_t>{1, 2}));
  for (int i = 0; i < 10; ++i) testing::expect_same_sample(ds.read(i), make_sample(i, i % 3 != 0));
  testing::expect_same_metadata(ds.read_metadata(8), make_sample(8, true));
}

TEST(Dataset, ConcurrentReadsAcrossShardsReturnTheRightSamples) {
  TempDir dir;
  write_dataset(dir.path(), 8, 3);
  const Dataset ds = Dataset::open(dir.path());
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < 20; ++k) {
        const int i = (k * 5 + t) % 8;
        if (ds.read(i).volume != make_sample(i).volume) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(Dataset, OutOfRangeIndexNamesDirAndIndex) {
  TempDir dir;
  write_dataset(dir.path(), 4, 2);
  const Dataset ds = Dataset::open(dir.path());
  expect_error<DataError>([&] { ds.read(4); }, {dir.path().string(), "index 4"});
  expect_error<DataError>([&] { ds.read_metadata(-2); }, {dir.path().string(), "index -2"});
}

TEST(Dataset, ChecksumMismatchAgainstManifestIsNamed) {
  TempDir dir;
  write_dataset(dir.path(), 4, 2);
  // Same size, different bytes, inside a voxel chunk that opening does not read: only the checksum can tell.
  const auto shard = dir / "shard-00001.h5";
  const auto [addr, size] = testing::chunk_location(shard, "/samples/000000/volume");
  ASSERT_GT(size, 8u);
  testing::flip_byte(shard, addr + size / 2);
  expect_error<DataError>([&] { Dataset::open(dir.path()); }, {shard.string(), "dataset.json", "shards[1].sha256"});
  EXPECT_NO_THROW(Dataset::open(dir.path(), {/*verify_checksums=*/false}));
}

TEST(Dataset, TruncatedShardFailsTheSizeCheck) {
  TempDir dir;
  write_dataset(dir.path(), 4, 2);
  const auto shard = dir / "shard-00000.h5";
  std::filesystem::resize_file(shard, std::filesystem::file_size(shard) - 100);
  expect_error<DataError>([&] { Dataset::open(dir.path(), {false}); }, {shard.string(), "shards[0].bytes"});
}

TEST(Dataset, ShardDisagreeingWithManifestIsRejected) {
  TempDir dir;
  write_dataset(dir.path(), 4, 2);
  Manifest m = Manifest::load(dir / "dataset.json");
  m.labels.pop_back();
  std::filesystem::remove(dir / "dataset.json");
  m.save(dir / "dataset.json");
  expect_error<DataError>([&] { Dataset::open(dir.path()); }, {"shard-00000.h5", "dataset.json", "labels"});
}

TEST(Dataset, DirectoryWithoutManifestIsNotADataset) {
  TempDir dir;
  {
    DatasetWriter w(dir.path(), testing::test_layout(), 4, 2, nlohmann::json::object());
    for (int i = 0; i < 3; ++i) w.append(make_sample(i));
    // Abandoned before finish(): shard 0 is complete, but no dataset.json exists.
  }
  EXPECT_TRUE(std::filesystem::exists(dir / "shard-00000.h5"));
  EXPECT_FALSE(std::filesystem::exists(dir / "shard-00001.h5.partial"));
  expect_error<IoError>([&] { Dataset::open(dir.path()); }, {"dataset.json"});
}

TEST(DatasetWriter, RejectsBadArguments) {
  TempDir dir;
  const auto layout = testing::test_layout();
  expect_error<UsageError>([&] { DatasetWriter(dir / "a", layout, 3, 4, {}); }, {"num_shards"});
  expect_error<UsageError>([&] { DatasetWriter(dir / "a", layout, 3, 0, {}); }, {"num_shards"});
  DatasetWriter w(dir / "b", layout, 1, 1, {});
  w.append(make_sample(0));
  expect_error<UsageError>([&] { w.append(make_sample(1)); }, {"announced"});
  w.finish();
  expect_error<UsageError>([&] { DatasetWriter(dir / "b", layout, 1, 1, {}); }, {"dataset.json"});
  DatasetWriter short_writer(dir / "c", layout, 2, 1, {});
  short_writer.append(make_sample(0));
  expect_error<UsageError>([&] { short_writer.finish(); }, {"1 samples appended, 2 announced"});
}

TEST(DatasetWriter, EmptyDatasetHasOneEmptyShard) {
  TempDir dir;
  const Manifest m = write_dataset(dir.path(), 0, 1);
  EXPECT_EQ(m.num_samples(), 0);
  EXPECT_EQ(Dataset::open(dir.path()).size(), 0);
}

}  // namespace
}  // namespace cagcl::data
