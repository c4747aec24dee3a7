// The records a conversion leaves in OUT (dataset.json, .parts/part-*.json, conversion_report.json) are read
// back on a rerun; fields of the wrong type are a clear error or a part to redo, never nlohmann's type_error.
#include <gtest/gtest.h>

#include <fstream>

#include "common/error.hpp"
#include "data/convert/sharded_conversion.hpp"
#include "data/schema.hpp"
#include "tests/data/storage_test_util.hpp"

namespace cagcl::data::convert {
namespace sharded_conversion_records_test {
namespace {

using testing::make_sample;
using testing::TempDir;

ConversionPlan plan_for(const std::filesystem::path& out) {
  ConversionPlan plan;
  plan.out = out;
  plan.layout = testing::test_layout();
  plan.volumes_per_shard = 2;
  plan.fingerprint = "test";
  plan.skip_bad = true;
  return plan;
}

Sample sample_named(const std::string& name) {
  Sample s = make_sample(static_cast<int>(name.size()));
  s.name = name;
  return s;
}

TEST(ShardedConversionRecords, FingerprintOfTheWrongTypeIsAnotherDataset) {
  TempDir dir;
  Manifest m;
  m.schema_version = kSchemaVersion;
  m.anatomies = default_anatomies();
  m.compression = "lz4";
  m.shards.push_back({"shard-00000.h5", 2, 0, 100, std::string(64, 'a')});
  m.generator = {{"fingerprint", 5}};
  std::filesystem::create_directories(dir / "out");
  m.save(dir / "out" / kManifestFileName);
  EXPECT_THROW(dataset_is_complete(dir / "out", "test"), UsageError);
}

TEST(ShardedConversionRecords, PartRecordWithSkippedOfTheWrongTypeIsRedone) {
  TempDir dir;
  const auto plan = plan_for(dir / "out");
  const std::vector<std::string> volumes = {"v1", "v22"};
  convert_parts(plan, volumes, sample_named);
  const auto record = dir / "out" / ".parts" / "part-00000.json";
  nlohmann::json j = nlohmann::json::parse(std::ifstream(record));
  j["skipped"] = 5;
  std::ofstream(record, std::ios::trunc) << j.dump();
  EXPECT_THROW(assemble_dataset(plan, volumes), DataError);  // damaged: rerun the command
  EXPECT_EQ(convert_parts(plan, volumes, sample_named).parts_reused, 0);
  EXPECT_EQ(assemble_dataset(plan, volumes).manifest.num_samples(), 2);
}

TEST(ShardedConversionRecords, ReportOfTheWrongTypeIsADataErrorNamingTheFileAndField) {
  TempDir dir;
  const auto plan = plan_for(dir / "out");
  const std::vector<std::string> volumes = {"v1", "v22"};
  convert_parts(plan, volumes, sample_named);
  assemble_dataset(plan, volumes);
  std::ofstream(dir / "out" / "conversion_report.json", std::ios::trunc) << R"({"skipped": [{"name": 5}]})";
  try {
    assemble_dataset(plan, volumes);
    FAIL() << "read";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("conversion_report.json"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("skipped[0].name"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace sharded_conversion_records_test
}  // namespace cagcl::data::convert
