#include "data/text_id.hpp"

#include <gtest/gtest.h>

namespace cagcl::data {

TEST(TextId, NormalAnatomyUsesTheNormalTemplate) {
  EXPECT_EQ(canonical_text("heart", {}, {}), "heart shows no significant abnormalities.");
}

TEST(TextId, ConclusionComesBeforeDescription) {
  EXPECT_EQ(canonical_text("lung", {"C1."}, {"D1.", "D2."}), "C1. D1. D2.");
}

TEST(TextId, IsTheFnv1aOfTheCanonicalText) {
  // Published FNV-1a 64 test vectors.
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(text_id("lung", {"A."}, {}), fnv1a64("A."));
  EXPECT_NE(text_id("lung", {"A."}, {}), text_id("lung", {"B."}, {}));
}

}  // namespace cagcl::data
