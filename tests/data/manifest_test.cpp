#include <gtest/gtest.h>

#include "data/manifest.hpp"
#include "tests/data/storage_test_util.hpp"

namespace cagcl::data {
namespace {

using nlohmann::json;
using testing::expect_error;

Manifest good_manifest() {
  Manifest m;
  m.schema_version = kSchemaVersion;
  m.anatomies = default_anatomies();
  m.labels = ct_rate_labels();
  m.compression = "lz4";
  for (int i = 0; i < 3; ++i) {
    m.shards.push_back(
        {"shard-0000" + std::to_string(i) + ".h5", 5 + i, i == 0 ? 0 : (i == 1 ? 5 : 11), 1000u, std::string(64, 'a')});
  }
  m.generator = {{"command", "cagcl synth"}, {"seed", 7}};
  return m;
}

// Applies `edit` to a valid manifest's JSON and expects a DataError naming dataset.json and `field`.
template <class F>
void expect_invalid(F edit, const std::string& field) {
  SCOPED_TRACE(field);
  json j = good_manifest().to_json();
  edit(j);
  expect_error<DataError>([&] { Manifest::from_json(j, "dir/dataset.json"); },
                          {"dir/dataset.json", "field '" + field + "'"});
}

TEST(Manifest, SavesAndLoadsEveryField) {
  testing::TempDir dir;
  const Manifest m = good_manifest();
  m.save(dir / "dataset.json");
  EXPECT_FALSE(std::filesystem::exists(dir / "dataset.json.tmp"));
  const Manifest back = Manifest::load(dir / "dataset.json");
  EXPECT_EQ(back.to_json(), m.to_json());
  EXPECT_EQ(back.num_samples(), 18);
  EXPECT_EQ(back.shards[2].first_index, 11);
  EXPECT_EQ(back.generator["seed"], 7);
}

TEST(Manifest, RejectsUnknownSchemaVersion) {
  expect_invalid([](json& j) { j["schema_version"] = kSchemaVersion + 1; }, "schema_version");
  // Would wrap to 1 if narrowed to int before the comparison.
  expect_invalid([](json& j) { j["schema_version"] = (int64_t{1} << 32) + kSchemaVersion; }, "schema_version");
  expect_invalid([](json& j) { j["schema_version"] = "1"; }, "schema_version");
}

TEST(Manifest, RejectsMissingAndMistypedFields) {
  expect_invalid([](json& j) { j.erase("labels"); }, "labels");
  expect_invalid([](json& j) { j.erase("generator"); }, "generator");
  expect_invalid([](json& j) { j["anatomies"] = "lung"; }, "anatomies");
  expect_invalid([](json& j) { j["anatomies"][1] = 3; }, "anatomies[1]");
  expect_invalid([](json& j) { j["shards"][2]["num_samples"] = "7"; }, "shards[2].num_samples");
  expect_invalid([](json& j) { j["shards"][1].erase("sha256"); }, "shards[1].sha256");
  expect_invalid([](json& j) { j["shards"][0]["sha256"] = "abc"; }, "shards[0].sha256");
  expect_invalid([](json& j) { j["shards"][0]["bytes"] = -1; }, "shards[0].bytes");
  expect_invalid([](json& j) { j["compression"] = "zstd"; }, "compression");
  expect_invalid([](json& j) { j["format"] = "other"; }, "format");
  expect_invalid([](json& j) { j["reports"] = "no"; }, "reports");
}

TEST(Manifest, DatasetWithoutReportsSaysSoAndOlderFilesWithoutTheFieldHaveReports) {
  testing::TempDir dir;
  Manifest m = good_manifest();
  EXPECT_TRUE(Manifest::from_json(m.to_json(), "x").has_reports);
  m.has_reports = false;
  m.save(dir / "dataset.json");
  EXPECT_FALSE(Manifest::load(dir / "dataset.json").has_reports);
  json j = m.to_json();
  j.erase("reports");
  EXPECT_TRUE(Manifest::from_json(j, "x").has_reports);
}

TEST(Manifest, RejectsShardFileNamesOutsideTheDirectory) {
  expect_invalid([](json& j) { j["shards"][1]["file"] = "../x.h5"; }, "shards[1].file");
  expect_invalid([](json& j) { j["shards"][1]["file"] = "sub/x.h5"; }, "shards[1].file");
  expect_invalid([](json& j) { j["shards"][1]["file"] = ".."; }, "shards[1].file");
  expect_invalid([](json& j) { j["shards"][1]["file"] = "/etc/passwd"; }, "shards[1].file");
  expect_invalid([](json& j) { j["shards"][1]["file"] = j["shards"][0]["file"]; }, "shards[1].file");
}

TEST(Manifest, RejectsCountsThatDoNotAddUp) {
  expect_invalid([](json& j) { j["num_samples"] = 17; }, "num_samples");
  expect_invalid([](json& j) { j["shards"][2]["first_index"] = 12; }, "shards[2].first_index");
  expect_invalid([](json& j) { j["shards"][0]["first_index"] = 1; }, "shards[0].first_index");
}

TEST(Manifest, LoadNamesTheFileOnBadJson) {
  testing::TempDir dir;
  std::ofstream(dir / "dataset.json") << "{ not json";
  expect_error<DataError>([&] { Manifest::load(dir / "dataset.json"); }, {"dataset.json", "JSON"});
  expect_error<IoError>([&] { Manifest::load(dir / "missing.json"); }, {"missing.json"});
}

}  // namespace
}  // namespace cagcl::data
