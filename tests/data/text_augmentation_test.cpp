// Training-time sentence shuffling and dropping (METHOD.md, "Text augmentation").
#include "data/text_augmentation.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "common/error.hpp"
#include "data/text_id.hpp"

namespace cagcl::data {
namespace {

// Anatomy 0 ("lung") has 3 conclusion + 7 description sentences, anatomy 1 ("heart") none.
Sample sample() {
  Sample s;
  s.name = "s";
  s.conclusion = {{"C0.", "C1.", "C2."}, {}};
  s.description = {{"D0.", "D1.", "D2.", "D3.", "D4.", "D5.", "D6."}, {}};
  s.normal = {0, 1};
  s.text_id = {text_id("lung", s.conclusion[0], s.description[0]), text_id("heart", {}, {})};
  return s;
}

std::vector<std::string> all_sentences() {
  return {"C0.", "C1.", "C2.", "D0.", "D1.", "D2.", "D3.", "D4.", "D5.", "D6."};
}

AugmentOptions always(double p_keep, bool shuffle) {
  AugmentOptions o;
  o.p_aug = 1.0;
  o.p_keep = p_keep;
  o.shuffle = shuffle;
  return o;
}

}  // namespace

TEST(TextAugmentation, NoAugmentationGivesTheCanonicalText) {
  const Sample s = sample();
  AugmentOptions off;
  off.p_aug = 0.0;
  for (int64_t epoch = 0; epoch < 20; ++epoch) {
    EXPECT_EQ(training_text(s, 0, "lung", off, 42, epoch, 3),
              canonical_text("lung", s.conclusion[0], s.description[0]));
  }
  EXPECT_EQ(eval_text(s, 0, "lung"), "C0. C1. C2. D0. D1. D2. D3. D4. D5. D6.");
  // Augmenting with nothing to do (keep all, no shuffle) is also the identity.
  EXPECT_EQ(training_text(s, 0, "lung", always(1.0, false), 42, 0, 3), eval_text(s, 0, "lung"));
}

TEST(TextAugmentation, OutputSentencesAreDistinctInputSentencesAndAtLeastOne) {
  const Sample s = sample();
  const auto inputs = all_sentences();
  for (double p_keep : {0.0, 0.3, 0.7}) {
    for (int64_t i = 0; i < 300; ++i) {
      const auto out = training_sentences(s, 0, "lung", always(p_keep, true), 1, 0, i);
      ASSERT_GE(out.size(), 1u);
      EXPECT_EQ(std::set<std::string>(out.begin(), out.end()).size(), out.size());
      for (const auto& sentence : out) EXPECT_NE(std::find(inputs.begin(), inputs.end(), sentence), inputs.end());
      if (p_keep == 0.0) {
        EXPECT_EQ(out.size(), 1u);
      }
    }
  }
}

TEST(TextAugmentation, ShuffleOnlyGivesAPermutation) {
  const Sample s = sample();
  auto sorted_inputs = all_sentences();
  std::sort(sorted_inputs.begin(), sorted_inputs.end());
  int reordered = 0;
  for (int64_t i = 0; i < 100; ++i) {
    auto out = training_sentences(s, 0, "lung", always(1.0, true), 5, 2, i);
    if (out != all_sentences()) ++reordered;
    std::sort(out.begin(), out.end());
    EXPECT_EQ(out, sorted_inputs);
  }
  EXPECT_GT(reordered, 95);  // 10! orders: the identity comes up with probability 1/3628800
}

TEST(TextAugmentation, DroppingOnlyKeepsTheCanonicalOrder) {
  const Sample s = sample();
  const auto inputs = all_sentences();
  for (int64_t i = 0; i < 100; ++i) {
    const auto out = training_sentences(s, 0, "lung", always(0.5, false), 5, 2, i);
    std::vector<size_t> positions;
    for (const auto& sentence : out)
      positions.push_back(static_cast<size_t>(std::find(inputs.begin(), inputs.end(), sentence) - inputs.begin()));
    EXPECT_TRUE(std::is_sorted(positions.begin(), positions.end()));
  }
}

TEST(TextAugmentation, NormalTemplateIsNeverChanged) {
  const Sample s = sample();
  for (int64_t i = 0; i < 50; ++i) {
    EXPECT_EQ(training_text(s, 1, "heart", always(0.0, true), 9, i, i), "heart shows no significant abnormalities.");
  }
}

TEST(TextAugmentation, SameKeySameTextAndEpochsDiffer) {
  const Sample s = sample();
  const AugmentOptions o;  // defaults: p_aug 0.5, p_keep 0.7, shuffle
  for (int64_t i = 0; i < 50; ++i)
    EXPECT_EQ(training_text(s, 0, "lung", o, 42, 3, i), training_text(s, 0, "lung", o, 42, 3, i));
  std::set<std::string> across_epochs, across_seeds;
  for (int64_t epoch = 0; epoch < 40; ++epoch) across_epochs.insert(training_text(s, 0, "lung", o, 42, epoch, 7));
  for (uint64_t seed = 0; seed < 40; ++seed) across_seeds.insert(training_text(s, 0, "lung", o, seed, 0, 7));
  EXPECT_GT(across_epochs.size(), 10u);
  EXPECT_GT(across_seeds.size(), 10u);
}

TEST(TextAugmentation, AugmentationAndKeepRatesMatchTheOptions) {
  const Sample s = sample();
  AugmentOptions o;
  o.p_aug = 0.5;
  o.p_keep = 0.7;
  o.shuffle = false;
  const int draws = 4000;
  int augmented = 0;
  int64_t kept = 0;
  for (int64_t i = 0; i < draws; ++i) {
    const auto out = training_sentences(s, 0, "lung", o, 11, 0, i);
    if (out != all_sentences()) ++augmented;
    const auto forced = training_sentences(s, 0, "lung", always(0.7, false), 11, 1, i);
    kept += static_cast<int64_t>(forced.size());
  }
  // p_aug: an augmented text still equals the canonical one when all 10 are kept (0.7^10 = 2.8 %).
  EXPECT_NEAR(augmented / double(draws), 0.5 * (1 - 0.0282), 0.03);
  // p_keep over 40000 sentence draws: standard error 0.0023.
  EXPECT_NEAR(kept / (10.0 * draws), 0.7, 0.01);
}

TEST(TextAugmentation, CanonicalTextIdIsUnaffected) {
  Sample s = sample();
  const auto ids = s.text_id;
  for (int64_t i = 0; i < 20; ++i) (void)training_text(s, 0, "lung", always(0.5, true), 1, 0, i);
  EXPECT_EQ(s.text_id, ids);
  EXPECT_EQ(s.text_id[0], fnv1a64(eval_text(s, 0, "lung")));
}

TEST(TextAugmentation, BadOptionsAndIndicesAreUsageErrors) {
  const Sample s = sample();
  AugmentOptions o;
  o.p_keep = 1.5;
  EXPECT_THROW((void)training_text(s, 0, "lung", o, 0, 0, 0), UsageError);
  o = AugmentOptions{};
  o.p_aug = -0.1;
  EXPECT_THROW((void)training_text(s, 0, "lung", o, 0, 0, 0), UsageError);
  EXPECT_THROW((void)training_text(s, 2, "aorta", AugmentOptions{}, 0, 0, 0), UsageError);
  EXPECT_THROW((void)eval_text(s, 2, "aorta"), UsageError);
}

}  // namespace cagcl::data
