// Every anatomy enters the losses: on phantoms of each preset's synth size, after the real loader's training
// path (random crop, flips, padding) each of the four anatomies is intact in at least 95 % of the samples.
// Before this held, the esophagus and aorta ran through the volume's top and bottom faces and never trained.
#include <torch/torch.h>

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "data/loader.hpp"
#include "data/phantom/phantom.hpp"
#include "data/sampler.hpp"

namespace cagcl::data::phantom::testing {
namespace {

TextPipeline empty_text() {
  TextPipeline t;
  t.text = [](const Sample&, size_t, int64_t, int64_t, bool) { return std::string(); };
  t.encode = [](const std::string&, int64_t L, int64_t* ids, int64_t* mask) {
    for (int64_t i = 0; i < L; ++i) ids[i] = mask[i] = 0;
  };
  t.max_length = 1;
  return t;
}

// Intact (sample, anatomy) counts over `volumes` phantoms of the preset's synth size, through the training
// loader with the preset's crop and flip probability.
std::vector<int64_t> intact_counts(const std::string& preset, int64_t volumes) {
  const Config config = load_config(preset);
  PhantomOptions options;
  options.size = {config.synth.size[0], config.synth.size[1], config.synth.size[2]};
  options.seed = config.synth.seed;
  const auto plans = plan_cohort(volumes, options);
  const SampleSource source = [&](int64_t i) { return render(plans.at(static_cast<size_t>(i)), options); };

  SamplerOptions s;
  s.num_samples = volumes;
  s.batch_size = 4;
  s.seed = config.train.seed;
  LoaderOptions o;
  o.train = true;
  o.crop = {config.data.crop[0], config.data.crop[1], config.data.crop[2]};
  o.flip_prob = config.data.flip_prob;
  o.workers = 2;
  o.prefetch = 2;
  o.seed = config.train.seed;
  o.num_anatomies = static_cast<int64_t>(anatomies().size());
  o.num_labels = static_cast<int64_t>(labels().size());
  Loader loader(source, Sampler(s), 0, o, empty_text());
  std::vector<int64_t> counts(anatomies().size(), 0);
  for (int64_t batch = 0; batch < volumes / s.batch_size; ++batch) {
    const Batch b = loader.next();
    const auto per_anatomy = b.intact.sum(0);
    for (size_t a = 0; a < counts.size(); ++a) counts[a] += per_anatomy[static_cast<int64_t>(a)].item<int64_t>();
  }
  return counts;
}

void expect_every_anatomy_intact(const std::string& preset, int64_t volumes) {
  const auto counts = intact_counts(preset, volumes);
  const int64_t samples = volumes / 4 * 4;
  for (size_t a = 0; a < counts.size(); ++a) {
    EXPECT_GE(static_cast<double>(counts[a]), 0.95 * static_cast<double>(samples))
        << preset << ": " << anatomies()[a] << " intact in " << counts[a] << " of " << samples << " samples";
  }
}

TEST(PhantomIntactRate, EveryAnatomyIsIntactInTinyPresetSamples) { expect_every_anatomy_intact("tiny", 40); }

TEST(PhantomIntactRate, EveryAnatomyIsIntactInSmallPresetSamples) { expect_every_anatomy_intact("small", 40); }

TEST(PhantomIntactRate, EveryAnatomyIsIntactInBasePresetSamples) {
  // Phantoms of the base synth size are large (12 M voxels): a few suffice, each crop is random.
  expect_every_anatomy_intact("base", 8);
}

}  // namespace
}  // namespace cagcl::data::phantom::testing
