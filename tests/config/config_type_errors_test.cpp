// YAML of the wrong shape where the configuration expects a name (a `base:` that is a list, a key that is a
// mapping) is a UsageError (exit 2) naming the file and the key path, not yaml-cpp's conversion exception.
#include <gtest/gtest.h>

#include <fstream>

#include "common/error.hpp"
#include "config/config.hpp"
#include "tests/common/temp_dir.hpp"

namespace cagcl {
namespace config_type_errors_test {
namespace {

// Loads a config file of `text`; the message of the UsageError it gives, or "(loaded)".
std::string load_error(const std::string& text) {
  test_support::TempDir dir;
  std::ofstream(dir / "c.yaml") << text;
  try {
    load_config((dir / "c.yaml").string());
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(loaded)";
}

TEST(ConfigTypeErrors, BaseThatIsNotAPresetNameIsAUsageErrorNamingTheKey) {
  for (const char* text : {"base: [tiny]\n", "base: {name: tiny}\n"}) {
    SCOPED_TRACE(text);
    const std::string error = load_error(text);
    EXPECT_NE(error.find("c.yaml"), std::string::npos) << error;
    EXPECT_NE(error.find("'base'"), std::string::npos) << error;
  }
}

TEST(ConfigTypeErrors, KeyThatIsNotANameIsAUsageErrorNamingItsSection) {
  const std::string nested = load_error("base: tiny\ntrain:\n  ? [steps, lr]\n  : 3\n");
  EXPECT_NE(nested.find("c.yaml"), std::string::npos) << nested;
  EXPECT_NE(nested.find("'train'"), std::string::npos) << nested;
  const std::string top = load_error("? {train: 1}\n: 3\n");
  EXPECT_NE(top.find("c.yaml"), std::string::npos) << top;
  EXPECT_NE(top.find("key"), std::string::npos) << top;
}

TEST(ConfigTypeErrors, ValueOfTheWrongShapeIsAUsageErrorNamingTheKeyPath) {
  const std::string error = load_error("base: tiny\ntrain:\n  steps: {a: [1, 2]}\n");
  EXPECT_NE(error.find("'train.steps'"), std::string::npos) << error;
}

}  // namespace
}  // namespace config_type_errors_test
}  // namespace cagcl
