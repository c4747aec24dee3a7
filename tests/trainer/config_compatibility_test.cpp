#include <gtest/gtest.h>

#include "common/error.hpp"
#include "config/config.hpp"
#include "trainer/config_compatibility.hpp"

namespace cagcl::trainer {
namespace {

TEST(ConfigCompatibility, ModelShapeChangeIsRefusedNamingEveryDifferingKey) {
  const auto saved = to_yaml(load_config("tiny"));
  const auto changed = to_yaml(load_config("tiny", {"vision.width=64", "text.layers=2", "train.lr=0.01"}));
  try {
    check_resume_compatible(saved, changed, "ckpt");
    FAIL();
  } catch (const UsageError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("vision.width: 32 in the checkpoint, 64 now"), std::string::npos) << what;
    EXPECT_NE(what.find("text.layers"), std::string::npos) << what;
    EXPECT_EQ(what.find("train.lr"), std::string::npos) << what;  // not a shape key
  }
}

TEST(ConfigCompatibility, OtherChangesAreAllowedAndListed) {
  const auto saved = to_yaml(load_config("tiny"));
  const auto changed = to_yaml(load_config("tiny", {"train.steps=20", "train.batch_size=1"}));
  const auto diffs = check_resume_compatible(saved, changed, "ckpt");
  ASSERT_EQ(diffs.size(), 2u);
  EXPECT_EQ(diffs[0].key, "train.batch_size");
  EXPECT_EQ(diffs[1].key, "train.steps");
  EXPECT_EQ(diffs[1].saved, "6");
  EXPECT_EQ(diffs[1].current, "20");
}

}  // namespace
}  // namespace cagcl::trainer
