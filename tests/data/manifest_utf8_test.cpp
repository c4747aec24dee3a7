// dataset.json's generator records paths of the inputs (cagcl convert: --root, --masks, ...); a path that is
// not valid UTF-8 must not stop the dataset from being written at the very end of a conversion.
#include <gtest/gtest.h>

#include "data/manifest.hpp"
#include "data/schema.hpp"
#include "tests/common/temp_dir.hpp"

namespace cagcl::data {
namespace manifest_utf8_test {
namespace {

TEST(ManifestUtf8, GeneratorPathsThatAreNotUtf8AreSavedWithReplacementCharacters) {
  test_support::TempDir dir;
  Manifest m;
  m.schema_version = kSchemaVersion;
  m.anatomies = default_anatomies();
  m.compression = "lz4";
  m.shards.push_back({"shard-00000.h5", 2, 0, 100, std::string(64, 'a')});
  m.generator = {{"root", "/data/ct\xff-rate"}, {"fingerprint", "0123-2"}};
  m.save(dir / "dataset.json");
  const Manifest back = Manifest::load(dir / "dataset.json");
  EXPECT_EQ(back.generator["root"], "/data/ct\xef\xbf\xbd-rate");
  EXPECT_EQ(back.generator["fingerprint"], "0123-2");
}

}  // namespace
}  // namespace manifest_utf8_test
}  // namespace cagcl::data
