#include <torch/torch.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "data/dataset.hpp"
#include "data/dataset_writer.hpp"
#include "data/hdf5.hpp"
#include "data/loader.hpp"
#include "data/volume_transforms.hpp"
#include "storage_test_util.hpp"

namespace cagcl::data {
namespace {
using testing::TempDir;

constexpr int64_t kN = 13;

// Samples 10x14x12 (smaller than the 12x12x12 crop on D: padding is exercised), content keyed by index.
Sample memory_sample(int64_t index) {
  Sample s = testing::make_sample(static_cast<int>(index));
  s.shape = {10, 14, 12};
  s.volume.resize(static_cast<size_t>(s.voxels()));
  s.anatomy.assign(s.volume.size(), 0);
  for (size_t i = 0; i < s.volume.size(); ++i)
    s.volume[i] = static_cast<int16_t>((i * 31 + static_cast<size_t>(index) * 7) % 1400) - 1100;
  for (int64_t z = 3; z < 7; ++z) s.anatomy[static_cast<size_t>((z * 14 + 6) * 12 + 5)] = 1;
  return s;
}

TextPipeline test_text(int64_t max_length = 8) {
  TextPipeline t;
  t.text = [](const Sample& s, size_t a, int64_t epoch, int64_t index, bool) {
    return fmt::format("{}|{}|{}|{}", s.name, a, epoch, index);
  };
  t.encode = [](const std::string& text, int64_t L, int64_t* ids, int64_t* mask) {
    for (int64_t i = 0; i < L; ++i) {
      const bool has = i < static_cast<int64_t>(text.size());
      ids[i] = has ? static_cast<unsigned char>(text[static_cast<size_t>(i)]) : 0;
      mask[i] = has;
    }
  };
  t.max_length = max_length;
  return t;
}

LoaderOptions test_options(int64_t workers, int64_t prefetch) {
  LoaderOptions o;
  o.crop = {12, 12, 12};
  o.flip_prob = 0.5;
  o.workers = workers;
  o.prefetch = prefetch;
  o.seed = 5;
  o.num_anatomies = 3;
  o.num_labels = static_cast<int64_t>(ct_rate_labels().size());
  return o;
}

Sampler test_sampler(int64_t rank = 0, int64_t world = 2, int64_t batch = 2) {
  SamplerOptions s;
  s.num_samples = kN;
  s.world_size = world;
  s.rank = rank;
  s.batch_size = batch;
  s.seed = 9;
  return Sampler(s);
}

void expect_same_batch(const Batch& a, const Batch& b) {
  EXPECT_TRUE(torch::equal(a.image, b.image));
  EXPECT_TRUE(torch::equal(a.anatomy, b.anatomy));
  EXPECT_TRUE(torch::equal(a.intact, b.intact));
  EXPECT_TRUE(torch::equal(a.normal, b.normal));
  EXPECT_TRUE(torch::equal(a.text_id, b.text_id));
  EXPECT_TRUE(torch::equal(a.token_ids, b.token_ids));
  EXPECT_TRUE(torch::equal(a.attention, b.attention));
  EXPECT_TRUE(torch::equal(a.labels, b.labels));
  EXPECT_TRUE(torch::equal(a.valid, b.valid));
  EXPECT_EQ(a.indices, b.indices);
  EXPECT_EQ(a.names, b.names);
  EXPECT_EQ(a.position, b.position);
  EXPECT_EQ(a.epoch, b.epoch);
}

TEST(Loader, BatchesMatchASingleThreadedReferenceForAnyWorkerCount) {
  const int64_t steps = 8;  // crosses into epoch 2 (3 steps per epoch with W*b = 4, N = 13)
  std::vector<Batch> reference;
  {
    Loader one(memory_sample, test_sampler(1), 0, test_options(1, 1), test_text());
    for (int64_t i = 0; i < steps; ++i) reference.push_back(one.next());
  }
  for (int64_t workers : {2, 4}) {
    Loader many(memory_sample, test_sampler(1), 0, test_options(workers, 3), test_text());
    for (int64_t i = 0; i < steps; ++i) expect_same_batch(many.next(), reference[static_cast<size_t>(i)]);
  }
  // Shapes and one row recomputed by hand from the transforms.
  const Batch& b = reference[0];
  EXPECT_EQ(b.image.sizes(), (std::vector<int64_t>{2, 1, 12, 12, 12}));
  EXPECT_EQ(b.token_ids.sizes(), (std::vector<int64_t>{2, 3, 8}));
  EXPECT_EQ(b.labels.sizes(), (std::vector<int64_t>{2, 18}));
  const int64_t index = b.indices[0];
  EXPECT_EQ(index, test_sampler(1).batch_at(0).indices[0]);
  const Sample s = memory_sample(index);
  const Augmentation aug = random_augmentation(padded_shape(s.shape, {12, 12, 12}), {12, 12, 12}, 0.5, 5, 0, index);
  std::vector<float> image(1728);
  std::vector<uint8_t> anatomy(1728);
  crop_flip_window(s.volume.data(), s.anatomy.data(), s.shape, {12, 12, 12}, aug.box, aug.flip, -1150, 350,
                   image.data(), anatomy.data());
  EXPECT_TRUE(torch::equal(b.image[0].flatten(), torch::from_blob(image.data(), {1728}, torch::kFloat32)));
  EXPECT_EQ(b.names[0], s.name);
  EXPECT_EQ(b.intact[0][0].item<bool>(), intact_flags(anatomy.data(), {12, 12, 12}, 3)[0] != 0);
  EXPECT_FALSE(b.intact[0][1].item<bool>());  // anatomy 2 is absent from these volumes
  EXPECT_EQ(b.normal[0][1].item<bool>(), s.normal[1] != 0);
}

TEST(Loader, ResumesAtAGlobalPosition) {
  Loader full(memory_sample, test_sampler(0), 0, test_options(2, 2), test_text());
  std::vector<Batch> batches;
  for (int i = 0; i < 5; ++i) batches.push_back(full.next());
  const int64_t position = batches[1].next_position;
  Loader resumed(memory_sample, test_sampler(0), position, test_options(3, 2), test_text());
  for (size_t i = 2; i < 5; ++i) expect_same_batch(resumed.next(), batches[i]);
  EXPECT_EQ(resumed.position(), batches[4].next_position);
}

TEST(Loader, WorkerErrorNamesTheSampleAndReachesNext) {
  const auto source = [](int64_t index) {
    if (index == 7) throw DataError("shard-00001.h5: member 'samples/000002/volume': corrupt chunk");
    return memory_sample(index);
  };
  Loader loader(source, test_sampler(0, 1, 1), 0, test_options(3, 2), test_text());
  testing::expect_error<DataError>(
      [&] {
        for (int i = 0; i < kN; ++i) loader.next();
      },
      {"loader: sample 7", "shard-00001.h5", "samples/000002/volume"});
}

TEST(Loader, DestroyedMidEpochShutsDownCleanly) {
  std::atomic<int> reads{0};
  const auto slow = [&](int64_t index) {
    ++reads;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return memory_sample(index);
  };
  { Loader never_read(slow, test_sampler(), 0, test_options(2, 2), test_text()); }
  {
    Loader loader(slow, test_sampler(), 0, test_options(3, 2), test_text());
    loader.next();
  }  // destructor joins while workers are busy or waiting for window space
  EXPECT_GT(reads.load(), 0);
}

TEST(Loader, SkipsBadSamplesDeterministicallyAndStopsPastTheThreshold) {
  const std::set<int64_t> bad_set{3, 8};
  const auto source = [&](int64_t index) {
    if (bad_set.count(index)) throw DataError(fmt::format("f.h5: sample {} broken", index));
    return memory_sample(index);
  };
  LoaderOptions o = test_options(2, 2);
  o.skip_bad_samples = true;
  o.max_bad_fraction = 0.5;
  Loader loader(source, test_sampler(0, 1, 1), 0, o, test_text());
  const auto order = test_sampler(0, 1, 1).epoch_order(0);
  int64_t bad = 0;
  for (int64_t i = 0; i < kN; ++i) {
    const Batch b = loader.next();
    const int64_t expected = bad_set.count(order[static_cast<size_t>(i)]) ? order[static_cast<size_t>(i)] + 1
                                                                          : order[static_cast<size_t>(i)];
    EXPECT_EQ(b.indices[0], expected);  // replaced by the next index
    bad += b.bad_samples;
  }
  EXPECT_EQ(bad, 2);
  EXPECT_EQ(loader.bad_samples(), 2);
  EXPECT_EQ(loader.samples_read(), kN + 2);

  // Threshold: 2 bad of the first reads exceed 10 %.
  o.max_bad_fraction = 0.1;
  Loader strict(source, test_sampler(0, 1, 1), 0, o, test_text());
  testing::expect_error<DataError>(
      [&] {
        for (int i = 0; i < kN; ++i) strict.next();
      },
      {"were bad", "data.max_bad_fraction"});
  // Without skipping, the first bad sample is an error.
  o.skip_bad_samples = false;
  Loader plain(source, test_sampler(0, 1, 1), 0, o, test_text());
  testing::expect_error<DataError>(
      [&] {
        for (int i = 0; i < kN; ++i) plain.next();
      },
      {"broken"});
}

TEST(Loader, EvaluationPadsAndReadsRealShards) {
  TempDir dir;
  ShardLayout layout = testing::test_layout();
  {
    DatasetWriter w(dir.path(), layout, 5, 2, {{"test", true}});
    for (int i = 0; i < 5; ++i) w.append(testing::make_sample(i));
    w.finish();
  }
  const Dataset ds = Dataset::open(dir.path());
  SamplerOptions so;
  so.num_samples = 5;
  so.world_size = 2;
  so.rank = 1;
  so.batch_size = 2;
  so.shuffle = false;
  so.drop_last = false;
  LoaderOptions o = test_options(2, 2);
  o.train = false;
  o.crop = {8, 12, 10};
  Loader loader(dataset_source(ds), Sampler(so), 0, o, test_text());
  const Batch first = loader.next();
  EXPECT_EQ(first.indices, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(first.names[0], ds.read(2).name);
  const Batch last = loader.next();  // global batch [4, pad, pad, pad]: rank 1 gets two padding rows
  EXPECT_EQ(last.indices, (std::vector<int64_t>{-1, -1}));
  EXPECT_FALSE(last.valid.any().item<bool>());
  // The centre crop of a volume of exactly the crop size is the volume itself, windowed.
  const Sample s = ds.read(2);
  EXPECT_FLOAT_EQ(first.image[0][0][1][2][3].item<float>(),
                  std::clamp((s.volume[static_cast<size_t>((1 * 12 + 2) * 10 + 3)] + 1150) / 1500.0f, 0.0f, 1.0f));
}

TEST(Loader, CorruptShardErrorNamesSampleFileAndMember) {
  TempDir dir;
  {
    DatasetWriter w(dir.path(), testing::test_layout(), 2, 1, {{"test", true}});
    for (int i = 0; i < 2; ++i) w.append(testing::make_sample(i));
    w.finish();
  }
  const auto shard = dir.path() / shard_file_name(0);
  testing::flip_byte(shard, testing::chunk_location(shard, "samples/000001/anatomy").first + 3);
  const Dataset ds = Dataset::open(dir.path(), {/*verify_checksums=*/false});
  SamplerOptions so;
  so.num_samples = 2;
  so.batch_size = 2;
  so.shuffle = false;
  LoaderOptions o = test_options(2, 1);
  o.crop = {8, 12, 10};
  Loader loader(dataset_source(ds), Sampler(so), 0, o, test_text());
  testing::expect_error<DataError>([&] { loader.next(); },
                                   {"loader: sample 1", shard.string(), "samples/000001/anatomy", "train_1_a_1"});
}

}  // namespace
}  // namespace cagcl::data
