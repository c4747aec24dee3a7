// Alignment, the first check of a contrastive model: the tokens at (row r, anatomy a) of every batch are the
// text of anatomy a of the sample the row came from, as stored in the shard, whatever the worker count, the
// prefetch depth, the rank, the random crop and the flips. A mix-up here would pair images with other
// patients' reports, and the model would learn nothing while every other check passed.
#include <torch/torch.h>

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "data/dataset_writer.hpp"
#include "data/loader.hpp"
#include "data/phantom/phantom.hpp"
#include "data/sampler.hpp"
#include "data/text_augmentation.hpp"
#include "data/text_pipeline.hpp"
#include "data/tokenizer.hpp"
#include "data/vocab_builder.hpp"
#include "storage_test_util.hpp"

namespace cagcl::data {
namespace {

using testing::TempDir;

constexpr int64_t kVolumes = 12;

// A phantom dataset in two shards and the vocabulary of its reports.
std::shared_ptr<const Tokenizer> write_phantom_dataset(const std::filesystem::path& dir) {
  phantom::PhantomOptions options;
  options.size = {16, 32, 32};
  ShardLayout layout;
  layout.anatomies = phantom::anatomies();
  layout.labels = phantom::labels();
  DatasetWriter writer(dir, layout, kVolumes, 2, nlohmann::json::object());
  VocabBuilder vocab(layout.anatomies, layout.labels);
  for (const auto& plan : phantom::plan_cohort(kVolumes, options)) {
    const Sample s = phantom::render(plan, options);
    vocab.add_sample(s);
    writer.append(s);
  }
  writer.finish();
  vocab.write(dir / "vocab.txt");
  return std::make_shared<const Tokenizer>(Tokenizer::from_file(dir / "vocab.txt"));
}

void expect_rows_carry_their_own_text(const Dataset& dataset, const Tokenizer& tokenizer, int64_t workers,
                                      int64_t prefetch, int64_t rank, bool augment) {
  const auto& anatomies = dataset.manifest().anatomies;
  AugmentOptions augmentation;
  augmentation.p_aug = augment ? 1.0 : 0.0;
  const int64_t L = 48;
  const auto text = make_text_pipeline(std::make_shared<const Tokenizer>(tokenizer), anatomies, augmentation, 7, L);
  SamplerOptions so;
  so.num_samples = kVolumes, so.world_size = 2, so.rank = rank, so.batch_size = 3, so.seed = 11;
  LoaderOptions lo;
  lo.crop = {16, 32, 32};
  lo.flip_prob = 0.5;
  lo.workers = workers, lo.prefetch = prefetch, lo.seed = 7;
  lo.num_anatomies = static_cast<int64_t>(anatomies.size());
  lo.num_labels = static_cast<int64_t>(dataset.manifest().labels.size());
  Loader loader(dataset_source(dataset), Sampler(so), 0, lo, text);
  const auto read = dataset_source(dataset);
  for (int64_t step = 0; step < 4; ++step) {  // two epochs of this rank's 6 samples
    const Batch b = loader.next();
    for (size_t r = 0; r < b.indices.size(); ++r) {
      const Sample stored = read(b.indices[r]);
      ASSERT_EQ(b.names[r], stored.name);
      for (size_t a = 0; a < anatomies.size(); ++a) {
        const auto row = static_cast<int64_t>(r), k = static_cast<int64_t>(a);
        // Un-augmented, the text is exactly the shard's; augmented, it is the augmentation of the shard's
        // text keyed by this sample's index and epoch (data/text_augmentation.hpp).
        const std::string expected =
            augment ? training_text(stored, a, anatomies[a], augmentation, 7, b.epoch, b.indices[r])
                    : eval_text(stored, a, anatomies[a]);
        const auto encoded = tokenizer.encode_padded(expected, L);
        const auto ids = b.token_ids[row][k];
        for (int64_t i = 0; i < L; ++i)
          ASSERT_EQ(ids[i].item<int64_t>(), encoded.ids[static_cast<size_t>(i)])
              << stored.name << " " << anatomies[a] << " token " << i << " (workers " << workers << ", rank " << rank
              << ")";
        EXPECT_EQ(b.text_id[row][k].item<int64_t>(), static_cast<int64_t>(stored.text_id[a]));
        EXPECT_EQ(b.normal[row][k].item<bool>(), stored.normal[a] != 0);
      }
    }
  }
}

TEST(LoaderAlignment, EveryRowCarriesItsOwnSamplesTextOnEveryLoaderPath) {
  TempDir dir;
  const auto tokenizer = write_phantom_dataset(dir.path() / "d");
  const Dataset dataset = Dataset::open(dir.path() / "d", {false});
  for (const int64_t workers : {1, 3})
    for (const int64_t prefetch : {1, 3})
      for (const int64_t rank : {0, 1})
        for (const bool augment : {false, true})
          expect_rows_carry_their_own_text(dataset, *tokenizer, workers, prefetch, rank, augment);
}

}  // namespace
}  // namespace cagcl::data
