// dataset.json fields that other parts of cagcl read by type are checked on load: a generator.vocab that is
// not a plain file name is a DataError (exit 3) naming the field, not a failure later where it is used.
#include <gtest/gtest.h>

#include "common/error.hpp"
#include "data/manifest.hpp"
#include "data/schema.hpp"

namespace cagcl::data {
namespace manifest_types_test {
namespace {

nlohmann::json manifest_with_generator(const nlohmann::json& generator) {
  Manifest m;
  m.schema_version = kSchemaVersion;
  m.anatomies = default_anatomies();
  m.compression = "lz4";
  m.shards.push_back({"shard-00000.h5", 2, 0, 100, std::string(64, 'a')});
  m.generator = generator;
  return m.to_json();
}

TEST(ManifestTypes, GeneratorVocabOfTheWrongTypeIsADataErrorNamingTheField) {
  for (const nlohmann::json& vocab :
       {nlohmann::json(5), nlohmann::json::array({"vocab.txt"}), nlohmann::json("../v.txt")}) {
    SCOPED_TRACE(vocab.dump());
    try {
      Manifest::from_json(manifest_with_generator({{"vocab", vocab}}), "d/dataset.json");
      FAIL() << "loaded";
    } catch (const DataError& e) {
      EXPECT_NE(std::string(e.what()).find("d/dataset.json: field 'generator.vocab'"), std::string::npos) << e.what();
    }
  }
  EXPECT_NO_THROW(Manifest::from_json(manifest_with_generator({{"vocab", "vocab.txt"}}), "d/dataset.json"));
  EXPECT_NO_THROW(Manifest::from_json(manifest_with_generator({{"tool", "x"}}), "d/dataset.json"));
}

}  // namespace
}  // namespace manifest_types_test
}  // namespace cagcl::data
