#include <torch/torch.h>

#include <gtest/gtest.h>

#include "../data/storage_test_util.hpp"
#include "common/error.hpp"
#include "data/data_options.hpp"
#include "data/dataset_writer.hpp"
#include "data/vocab_builder.hpp"

namespace cagcl {
namespace {

TEST(DataOptions, ConfigKeysReachSamplerAndLoader) {
  data::testing::TempDir dir;
  {
    data::DatasetWriter w(dir.path(), data::testing::test_layout(), 5, 2, {{"test", true}});
    for (int i = 0; i < 5; ++i) w.append(data::testing::make_sample(i));
    w.finish();
  }
  const data::Dataset ds = data::Dataset::open(dir.path());
  Config c = load_config("tiny", {"data.shard_aware_order=true", "data.skip_bad_samples=true",
                                  "data.max_bad_fraction=0.25", "train.seed=9"});
  const auto s = sampler_options(c, ds, 1, 2, true);
  EXPECT_EQ(s.num_samples, 5);
  EXPECT_EQ(s.rank, 1);
  EXPECT_EQ(s.world_size, 2);
  EXPECT_EQ(s.batch_size, c.train.batch_size);
  EXPECT_EQ(s.seed, 9u);
  EXPECT_EQ(s.shard_sizes, (std::vector<int64_t>{2, 3}));
  EXPECT_TRUE(s.drop_last);
  const auto e = sampler_options(c, ds, 0, 1, false);
  EXPECT_FALSE(e.shuffle);
  EXPECT_FALSE(e.drop_last);
  EXPECT_TRUE(e.shard_sizes.empty());
  const auto l = loader_options(c, ds, true);
  EXPECT_EQ(l.crop, c.data.crop);
  EXPECT_TRUE(l.skip_bad_samples);
  EXPECT_DOUBLE_EQ(l.max_bad_fraction, 0.25);
  EXPECT_EQ(l.num_anatomies, 3);
  EXPECT_EQ(l.num_labels, 18);
  EXPECT_EQ(l.workers, c.data.workers);
  EXPECT_EQ(l.seed, 9u);
}

// A 4-sample dataset; with `vocab`, also the vocab.txt of its corpus, named in the manifest as synth does.
data::Dataset small_dataset(const data::testing::TempDir& dir, bool vocab) {
  const auto layout = data::testing::test_layout();
  data::VocabBuilder builder(layout.anatomies, layout.labels);
  nlohmann::json generator = {{"test", true}};
  if (vocab) generator["vocab"] = "vocab.txt";
  data::DatasetWriter w(dir.path(), layout, 4, 1, generator);
  for (int i = 0; i < 4; ++i) {
    const auto sample = data::testing::make_sample(i);
    builder.add_sample(sample);
    w.append(sample);
  }
  if (vocab) builder.write(dir.path() / "vocab.txt");
  w.finish();
  return data::Dataset::open(dir.path());
}

TEST(DataOptions, TextPipelineEncodesWithTheDatasetsOwnVocab) {
  data::testing::TempDir dir;
  const data::Dataset ds = small_dataset(dir, true);
  const Config c = load_config("tiny", {"augment.p_aug=1", "augment.p_keep=0.5"});
  const data::TextPipeline text = text_pipeline(c, ds);
  ASSERT_EQ(text.max_length, c.text.max_length);
  const auto tokenizer = data::Tokenizer::from_file(dir.path() / "vocab.txt");
  bool some_augmented_text_differs = false;
  for (int64_t i = 0; i < ds.size(); ++i) {
    const data::Sample s = ds.read_metadata(i);
    for (size_t a = 0; a < ds.manifest().anatomies.size(); ++a) {
      const std::string canonical = text.text(s, a, 0, i, false);
      EXPECT_EQ(canonical, data::canonical_text(ds.manifest().anatomies[a], s.conclusion[a], s.description[a]));
      for (int64_t epoch = 0; epoch < 4; ++epoch)
        some_augmented_text_differs |= text.text(s, a, epoch, i, true) != canonical;
      std::vector<int64_t> ids(static_cast<size_t>(text.max_length)), mask(ids.size());
      text.encode(canonical, text.max_length, ids.data(), mask.data());
      EXPECT_EQ(ids.front(), tokenizer.cls_id());
      for (size_t k = 0; k < ids.size(); ++k) {
        EXPECT_NE(ids[k], tokenizer.unk_id()) << canonical;
        EXPECT_EQ(mask[k] == 0, ids[k] == tokenizer.pad_id());
      }
    }
  }
  EXPECT_TRUE(some_augmented_text_differs);
}

TEST(DataOptions, MissingVocabIsAnErrorNamingTheKey) {
  data::testing::TempDir dir;
  const data::Dataset ds = small_dataset(dir, false);
  try {
    text_pipeline(load_config("tiny"), ds);
    FAIL() << "expected UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("text.vocab"), std::string::npos) << e.what();
  }
  try {
    text_pipeline(load_config("tiny", {"text.vocab=/nonexistent/vocab.txt"}), ds);
    FAIL() << "expected UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/vocab.txt"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace cagcl
