// Fields of a checkpoint manifest that are narrowed or trusted later are checked on load: ranks beyond int's
// range (they wrapped to a small rank), and SHA-256 values that are not 64 lower-case hex digits (they could
// never match a file, and are printed in messages).
#include <gtest/gtest.h>

#include "common/error.hpp"
#include "trainer/checkpoint_manifest.hpp"

namespace cagcl::trainer {
namespace checkpoint_manifest_fields_test {
namespace {

nlohmann::json good_json() {
  CheckpointManifest m;
  m.step = 20;
  m.total_steps = 100;
  m.world_size = 2;
  m.batch_size = 4;
  m.config_hash = std::string(64, 'c');
  m.files = {{kModelFileName, 0, 1000, std::string(64, 'a')},
             {optimizer_file_name(0, 2), 0, 500, std::string(64, 'b')},
             {optimizer_file_name(1, 2), 1, 500, std::string(64, 'd')}};
  for (int r = 0; r < 2; ++r) m.ranks.push_back({r, optimizer_file_name(r, 2), {{"vision.w", r * 8, 8}}, "00", ""});
  return m.to_json();
}

void expect_refused(const nlohmann::json& j, const std::string& field) {
  SCOPED_TRACE(field);
  try {
    CheckpointManifest::from_json(j, "step-00000020/manifest.json");
    FAIL() << "accepted";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("field '" + field + "'"), std::string::npos) << e.what();
  }
}

TEST(CheckpointManifestFields, RanksBeyondIntAreRefusedNotWrapped) {
  auto j = good_json();
  j["files"][1]["rank"] = int64_t{1} << 32;  // wrapped to rank 0 when narrowed
  expect_refused(j, "files[1].rank");
  j = good_json();
  j["ranks"][0]["rank"] = int64_t{1} << 32;
  expect_refused(j, "ranks[0].rank");
  j = good_json();
  j["ranks"][1]["rank"] = (int64_t{1} << 32) + 1;
  expect_refused(j, "ranks[1].rank");
}

TEST(CheckpointManifestFields, Sha256MustBe64LowerCaseHexDigits) {
  for (const std::string& bad : {std::string(64, 'z'), std::string(64, 'A'), std::string(63, 'a') + " "}) {
    auto j = good_json();
    j["files"][2]["sha256"] = bad;
    expect_refused(j, "files[2].sha256");
  }
  EXPECT_NO_THROW(CheckpointManifest::from_json(good_json(), "m"));
}

}  // namespace
}  // namespace checkpoint_manifest_fields_test
}  // namespace cagcl::trainer
