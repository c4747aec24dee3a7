// TotalSegmentator class ids -> anatomies, from configs/totalsegmentator_v2.yaml (METHOD.md's merge).
#include "data/convert/anatomy_mapping.hpp"

#include <gtest/gtest.h>

#include "common/error.hpp"

namespace cagcl::data::convert {
namespace {

TEST(AnatomyMapping, ShippedTotalSegmentatorMappingMergesLobesHeartEsophagusAorta) {
  const auto m = AnatomyMapping::load(std::string(CAGCL_TEST_CONFIG_DIR) + "/totalsegmentator_v2.yaml");
  EXPECT_EQ(m.anatomies, (std::vector<std::string>{"lung", "heart", "esophagus", "aorta"}));
  for (int c : {10, 11, 12, 13, 14}) EXPECT_EQ(m.anatomy_of[c], 1) << c;
  EXPECT_EQ(m.anatomy_of[51], 2);
  EXPECT_EQ(m.anatomy_of[61], 2);
  EXPECT_EQ(m.anatomy_of[15], 3);
  EXPECT_EQ(m.anatomy_of[52], 4);
  EXPECT_EQ(m.merge({0, 10, 14, 51, 61, 15, 52, 116, 1}), (std::vector<uint8_t>{0, 1, 1, 2, 2, 3, 4, 0, 0}));
}

TEST(AnatomyMapping, BadMappingsAreUsageErrorsNamingTheEntry) {
  EXPECT_THROW(AnatomyMapping::from_yaml("anatomies: []", "m.yaml"), UsageError);
  EXPECT_THROW(
      AnatomyMapping::from_yaml("anatomies:\n- {name: a, classes: [1]}\n- {name: a, classes: [2]}\n", "m.yaml"),
      UsageError);
  try {
    AnatomyMapping::from_yaml("anatomies:\n- {name: a, classes: [1]}\n- {name: b, classes: [1]}\n", "m.yaml");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("anatomies[1].classes[0]: class 1 already belongs to 'a'"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(AnatomyMapping::from_yaml("anatomies:\n- {name: a, classes: [300]}\n", "m.yaml"), UsageError);
}

}  // namespace
}  // namespace cagcl::data::convert
