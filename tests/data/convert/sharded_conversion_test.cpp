// convert_parts with --skip-bad: whatever a volume's conversion throws (the project's errors, std::bad_alloc,
// LibTorch's c10::Error, filesystem and JSON exceptions) makes that volume a skipped one with its reason, while
// a failure of the output writer (the shard cannot be written) stops the run. Names and reasons that are not
// valid UTF-8 still give valid JSON part records and report.
#include "data/convert/sharded_conversion.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <new>
#include <sstream>

#include "common/error.hpp"
#include "data/dataset.hpp"
#include "tests/data/storage_test_util.hpp"

namespace cagcl::data::convert {
namespace sharded_conversion_test {
namespace {

using testing::make_sample;
using testing::TempDir;

ConversionPlan plan_for(const std::filesystem::path& out, bool skip_bad) {
  ConversionPlan plan;
  plan.out = out;
  plan.layout = testing::test_layout();
  plan.volumes_per_shard = 3;
  plan.skip_bad = skip_bad;
  plan.fingerprint = "test";
  return plan;
}

// Volume "ok_N" converts to a sample named after it; any other name throws what `fail` throws.
std::function<Sample(const std::string&)> converter(const std::function<void(const std::string&)>& fail) {
  return [fail](const std::string& name) {
    if (name.rfind("ok_", 0) != 0) fail(name);
    Sample s = make_sample(static_cast<int>(name.size()));
    s.name = name;
    return s;
  };
}

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ShardedConversion, EveryKindOfPerVolumeExceptionIsASkippedVolumeWithItsReason) {
  TempDir dir;
  const auto plan = plan_for(dir / "out", true);
  const std::vector<std::string> volumes = {"bad_alloc", "fs", "json", "ok_1", "ok_22", "std"};
  const auto report =
      convert_parts(plan, volumes, converter([](const std::string& name) {
                      if (name == "bad_alloc") throw std::bad_alloc();
                      if (name == "fs")
                        throw std::filesystem::filesystem_error("cannot stat", "/in/fs.nii.gz",
                                                                std::make_error_code(std::errc::permission_denied));
                      if (name == "json") (void)nlohmann::json(5).get<std::string>();
                      throw std::runtime_error("c10::Error: out of range");
                    }));
  EXPECT_EQ(report.converted, 2);
  ASSERT_EQ(report.skipped.size(), 4u);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"bad_alloc", "bad_alloc"}, {"fs", "/in/fs.nii.gz"}, {"json", "type_error"}, {"std", "c10::Error"}};
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(report.skipped[i].name, expected[i].first);
    EXPECT_NE(report.skipped[i].reason.find(expected[i].second), std::string::npos) << report.skipped[i].reason;
  }
  const auto assembled = assemble_dataset(plan, volumes);
  EXPECT_EQ(assembled.skipped.size(), 4u);
  EXPECT_EQ(Dataset::open(dir / "out").size(), 2);
}

TEST(ShardedConversion, WithoutSkipBadAnyPerVolumeExceptionStopsTheRunNamingTheVolume) {
  TempDir dir;
  const auto plan = plan_for(dir / "out", false);
  try {
    convert_parts(plan, {"ok_1", "torch"},
                  converter([](const std::string&) -> void { throw std::runtime_error("c10::Error: shape"); }));
    FAIL() << "converted";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("volume 'torch'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("c10::Error: shape"), std::string::npos) << e.what();
  }
}

TEST(ShardedConversion, AnOutputWriterFailureStopsTheRunEvenWithSkipBad) {
  TempDir dir;
  const auto plan = plan_for(dir / "out", true);
  // The part's shard cannot be created: its temporary name is taken by a non-empty directory.
  std::filesystem::create_directories(dir / "out" / ".parts" / "part-00000.h5.partial");
  std::ofstream(dir / "out" / ".parts" / "part-00000.h5.partial" / "x") << "x";
  EXPECT_THROW(convert_parts(plan, {"ok_1", "ok_22"}, converter([](const std::string&) {})), IoError);
}

TEST(ShardedConversion, InvalidUtf8InNamesAndReasonsGivesValidJson) {
  TempDir dir;
  const auto plan = plan_for(dir / "out", true);
  const std::vector<std::string> volumes = {"bad_\xfe", "ok_1", "ok_22"};
  const auto report = convert_parts(
      plan, volumes, converter([](const std::string&) -> void { throw DataError("byte \xff in the header"); }));
  ASSERT_EQ(report.skipped.size(), 1u);
  const auto assembled = assemble_dataset(plan, volumes);
  ASSERT_EQ(assembled.skipped.size(), 1u);
  EXPECT_EQ(assembled.skipped[0].name, "bad_\xef\xbf\xbd");  // U+FFFD
  const auto j = nlohmann::json::parse(read(dir / "out" / "conversion_report.json"));
  EXPECT_EQ(j["skipped"][0]["reason"].get<std::string>().find("byte \xef\xbf\xbd in the header"), 0u);
  // A rerun finds the dataset complete.
  EXPECT_TRUE(dataset_is_complete(dir / "out", "test"));
}

}  // namespace
}  // namespace sharded_conversion_test
}  // namespace cagcl::data::convert
