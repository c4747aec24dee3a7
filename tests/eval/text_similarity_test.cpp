#include <gtest/gtest.h>

#include <cmath>

#include "common/error.hpp"
#include "eval/text_similarity.hpp"

namespace cagcl::eval {
namespace {

TEST(TextSimilarity, CollapseIndexIsTheMeanCrossAnatomyCosineOfAHandMadeSet) {
  // Anatomy 0: (1, 0) and (0.6, 0.8); anatomy 1: (0, 2) (normalised here). Pairs: same 0.6; cross 0 and 0.8.
  const std::vector<float> e{1, 0, 0.6f, 0.8f, 0, 2};
  const auto s = text_similarity(e, 2, {0, 0, 1}, 2, 4);
  EXPECT_EQ(s.texts, 3);
  EXPECT_EQ(s.same.pairs, 1);
  EXPECT_EQ(s.cross.pairs, 2);
  EXPECT_NEAR(s.same.mean, 0.6, 1e-6);
  EXPECT_NEAR(s.cross.mean, 0.4, 1e-6);
  EXPECT_NEAR(s.cross.sd, 0.4, 1e-6);
  EXPECT_NEAR(s.collapse_index, 0.4, 1e-6);
  EXPECT_NEAR(s.all.mean, (0.6 + 0.8) / 3, 1e-6);
  // Bins of [-1, 1] by 0.5: 0 -> bin 2, 0.6 and 0.8 -> bin 3.
  EXPECT_EQ(s.histogram.cross, (std::vector<int64_t>{0, 0, 1, 1}));
  EXPECT_EQ(s.histogram.same, (std::vector<int64_t>{0, 0, 0, 1}));
  EXPECT_EQ(s.texts_per_anatomy, (std::vector<int64_t>{2, 1}));
}

TEST(TextSimilarity, CollapsedSpaceHasIndexNearOneAndIdenticalVectorsFallInTheLastBin) {
  const std::vector<float> e{1, 0, 1, 0, 1, 0.01f};
  const auto s = text_similarity(e, 2, {0, 1, 2}, 3, 10);
  EXPECT_GT(s.collapse_index, 0.999);
  EXPECT_EQ(s.histogram.cross.back(), 3);
  EXPECT_TRUE(std::isnan(s.same.mean));  // no same-anatomy pair
}

TEST(TextSimilarity, RejectsMismatchedShapesAndIds) {
  EXPECT_THROW(text_similarity({1, 0, 1}, 2, {0, 1}, 2), UsageError);
  EXPECT_THROW(text_similarity({1, 0, 1, 0}, 2, {0, 5}, 2), UsageError);
}

}  // namespace
}  // namespace cagcl::eval
