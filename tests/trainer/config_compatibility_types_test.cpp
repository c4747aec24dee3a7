// The configuration saved in a checkpoint is untrusted YAML: keys that are not names are a DataError (exit 3)
// naming the checkpoint's configuration and the section, not yaml-cpp's conversion exception.
#include <gtest/gtest.h>

#include "common/error.hpp"
#include "trainer/config_compatibility.hpp"

namespace cagcl::trainer {
namespace config_compatibility_types_test {
namespace {

std::string difference_error(const std::string& saved) {
  try {
    config_differences(saved, "train:\n  steps: 3\n");
  } catch (const DataError& e) {
    return e.what();
  }
  return "(compared)";
}

TEST(ConfigCompatibilityTypes, KeysThatAreNotNamesAreADataErrorNamingTheSection) {
  const std::string section = difference_error("? [train]\n: {steps: 3}\n");
  EXPECT_NE(section.find("checkpoint"), std::string::npos) << section;
  const std::string key = difference_error("train:\n  ? {steps: 1}\n  : 3\n");
  EXPECT_NE(key.find("checkpoint"), std::string::npos) << key;
  EXPECT_NE(key.find("'train'"), std::string::npos) << key;
}

TEST(ConfigCompatibilityTypes, ScalarSectionsAreIgnoredAsBefore) {
  EXPECT_EQ(difference_error("train: 5\n"), "(compared)");
}

}  // namespace
}  // namespace config_compatibility_types_test
}  // namespace cagcl::trainer
