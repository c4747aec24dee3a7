// manifest.json of a checkpoint step directory is untrusted on load: every field is checked and named.
#include "trainer/checkpoint_manifest.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "common/error.hpp"
#include "tests/common/temp_dir.hpp"

namespace cagcl::trainer {
namespace checkpoint_manifest_test {
namespace {

CheckpointManifest good_manifest() {
  CheckpointManifest m;
  m.step = 20;
  m.total_steps = 100;
  m.world_size = 2;
  m.batch_size = 4;
  m.config_hash = std::string(64, 'c');
  m.config_yaml = "train:\n  steps: 100\n";
  m.files = {{kModelFileName, 0, 1000, std::string(64, 'a')},
             {optimizer_file_name(0, 2), 0, 500, std::string(64, 'b')},
             {optimizer_file_name(1, 2), 1, 500, std::string(64, 'd')}};
  m.model_tensors = {{"vision.w", "F32", {4, 4}}};
  for (int r = 0; r < 2; ++r) m.ranks.push_back({r, optimizer_file_name(r, 2), {{"vision.w", r * 8, 8}}, "00", ""});
  return m;
}

// The message of the DataError that loading `text` as STEP/manifest.json gives, or "(loaded)".
std::string load_error(const std::string& text) {
  test_support::TempDir dir;
  std::ofstream(dir / kCheckpointManifestName) << text;
  try {
    CheckpointManifest::load(dir.path());
  } catch (const DataError& e) {
    return e.what();
  }
  return "(loaded)";
}

TEST(CheckpointManifestLoad, RoundTripsThroughJson) {
  const auto m = good_manifest();
  EXPECT_EQ(CheckpointManifest::from_json(m.to_json(), "m").to_json(), m.to_json());
  EXPECT_EQ(load_error(m.to_json().dump()), "(loaded)");
}

TEST(CheckpointManifestLoad, DeeplyNestedFileIsADataErrorNamingIt) {
  auto j = good_manifest().to_json();
  j["note"] = "NOTE";
  std::string text = j.dump();
  text.replace(text.find("\"NOTE\""), 6, std::string(100'000, '[') + std::string(100'000, ']'));
  const std::string error = load_error(text);
  EXPECT_NE(error.find(kCheckpointManifestName), std::string::npos) << error.substr(0, 300);
  EXPECT_NE(error.find("nests deeper than"), std::string::npos) << error.substr(0, 300);
}

}  // namespace
}  // namespace checkpoint_manifest_test
}  // namespace cagcl::trainer
