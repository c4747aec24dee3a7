// Supplied anatomy sentences (fVLM's per-organ JSON) are untrusted: deep nesting is refused naming the file.
#include "data/convert/supplied_anatomy_sentences.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "common/error.hpp"
#include "tests/common/temp_dir.hpp"

namespace cagcl::data::convert {
namespace supplied_anatomy_sentences_test {
namespace {

TEST(SuppliedAnatomySentences, ReadsSentencesOfAVolume) {
  test_support::TempDir dir;
  std::ofstream(dir / "d.json") << R"({"train_1_a_1.nii.gz": {"lung": "A nodule. An effusion.", "heart": ["Big."]}})";
  const auto s = SuppliedAnatomySentences::load(dir / "d.json");
  const auto split = s.sentences_of("train_1_a_1", {"lung", "heart", "aorta"});
  EXPECT_EQ(split.description[0], (std::vector<std::string>{"A nodule.", "An effusion."}));
  EXPECT_EQ(split.description[1], (std::vector<std::string>{"Big."}));
  EXPECT_TRUE(split.description[2].empty());
}

TEST(SuppliedAnatomySentences, DeeplyNestedFileIsADataErrorNamingIt) {
  test_support::TempDir dir;
  std::ofstream(dir / "d.json") << R"({"train_1_a_1": {"lung": )" << std::string(5000, '[') << std::string(5000, ']')
                                << "}}";
  try {
    SuppliedAnatomySentences::load(dir / "d.json");
    FAIL() << "loaded";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find((dir / "d.json").string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("nests deeper than"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace supplied_anatomy_sentences_test
}  // namespace cagcl::data::convert
