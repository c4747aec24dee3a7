// The converters' YAML inputs (class mapping, anatomy lexicon, Rad-ChestCT label map) are user files: a document
// of the wrong shape is a UsageError (exit 2) naming the file and the key path, never yaml-cpp's exception.
#include <gtest/gtest.h>

#include <functional>

#include "common/error.hpp"
#include "data/convert/anatomy_lexicon.hpp"
#include "data/convert/anatomy_mapping.hpp"
#include "data/rad_chestct/rad_chestct_label_map.hpp"

namespace cagcl::data {
namespace yaml_type_errors_test {
namespace {

// The message of the UsageError that `load` gives, or "(loaded)".
std::string usage_error(const std::function<void()>& load) {
  try {
    load();
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(loaded)";
}

void expect_named(const std::string& error, const std::vector<std::string>& parts) {
  for (const auto& p : parts) EXPECT_NE(error.find(p), std::string::npos) << "'" << p << "' not in: " << error;
}

TEST(YamlTypeErrors, ClassMappingThatIsNotAMappingIsAUsageError) {
  for (const char* text : {"just text", "- 1\n- 2\n"}) {
    SCOPED_TRACE(text);
    expect_named(usage_error([&] { convert::AnatomyMapping::from_yaml(text, "m.yaml"); }), {"m.yaml", "anatomies"});
  }
}

TEST(YamlTypeErrors, LabelMapThatIsNotAMappingIsAUsageError) {
  expect_named(usage_error([] { rad_chestct::LabelMap::from_yaml("just text", "l.yaml"); }), {"l.yaml", "labels"});
}

TEST(YamlTypeErrors, LexiconOfTheWrongShapeIsAUsageErrorNamingTheKeyPath) {
  using convert::AnatomyLexicon;
  expect_named(usage_error([] { AnatomyLexicon::from_yaml("just text", "x.yaml"); }), {"x.yaml"});
  expect_named(usage_error([] { AnatomyLexicon::from_yaml("anatomies:\n  lung: 5\n", "x.yaml"); }),
               {"x.yaml", "anatomies.lung"});
  expect_named(
      usage_error([] { AnatomyLexicon::from_yaml("anatomies:\n  ? [lung]\n  : {keywords: [a]}\n", "x.yaml"); }),
      {"x.yaml", "anatomies"});
}

}  // namespace
}  // namespace yaml_type_errors_test
}  // namespace cagcl::data
