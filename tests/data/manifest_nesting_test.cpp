// dataset.json is untrusted: a document nesting arrays far deeper than any manifest does is refused while it is
// parsed, naming the file, before a deep value exists that copying or printing would recurse through.
#include <gtest/gtest.h>

#include <fstream>

#include "common/error.hpp"
#include "data/manifest.hpp"
#include "data/schema.hpp"
#include "tests/common/temp_dir.hpp"

namespace cagcl::data {
namespace manifest_nesting_test {
namespace {

std::string nested_arrays(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

// A valid dataset.json whose free-form generator field is `generator` (JSON text).
std::string manifest_text(const std::string& generator) {
  Manifest m;
  m.schema_version = kSchemaVersion;
  m.anatomies = default_anatomies();
  m.compression = "lz4";
  m.shards.push_back({"shard-00000.h5", 2, 0, 100, std::string(64, 'a')});
  m.generator = "GENERATOR";
  std::string text = m.to_json().dump();
  text.replace(text.find("\"GENERATOR\""), 11, generator);
  return text;
}

std::string load_error(const std::filesystem::path& path) {
  try {
    Manifest::load(path);
  } catch (const DataError& e) {
    return e.what();
  }
  return "(no DataError)";
}

TEST(ManifestNesting, ShallowGeneratorLoads) {
  test_support::TempDir dir;
  std::ofstream(dir / "dataset.json") << manifest_text(R"({"tool": "x", "options": {"spacing": [3, 1, 1]}})");
  EXPECT_EQ(Manifest::load(dir / "dataset.json").generator["options"]["spacing"][0], 3);
}

TEST(ManifestNesting, DeeplyNestedDocumentIsADataErrorNamingTheFile) {
  test_support::TempDir dir;
  std::ofstream(dir / "dataset.json") << manifest_text(nested_arrays(1000));
  const std::string error = load_error(dir / "dataset.json");
  EXPECT_NE(error.find((dir / "dataset.json").string()), std::string::npos) << error;
  EXPECT_NE(error.find("nests deeper than"), std::string::npos) << error;
}

TEST(ManifestNesting, MillionDeepNestingNeitherCrashesNorPrintsTheDocument) {
  test_support::TempDir dir;
  std::ofstream(dir / "dataset.json") << manifest_text(nested_arrays(1'000'000));
  const std::string error = load_error(dir / "dataset.json");
  EXPECT_NE(error.find("nests deeper than"), std::string::npos) << error.substr(0, 300);
  EXPECT_LT(error.size(), 1000u) << "the message repeats the document";
}

}  // namespace
}  // namespace manifest_nesting_test
}  // namespace cagcl::data
