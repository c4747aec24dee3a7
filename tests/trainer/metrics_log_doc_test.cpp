// docs/metrics-log.md lists every field RUN/metrics.jsonl's writer puts on each event's line: the lines are made
// by the writer itself (trainer/metrics_log.hpp) with every optional part present, and each key must appear as
// `key` in that event's section of the page. A field added to the log without the page fails here.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/common/temp_dir.hpp"
#include "trainer/metrics_log.hpp"

namespace cagcl::trainer {
namespace {

// Keys whose members are data (anatomy or template-family names), not fields: documented as a whole.
const std::set<std::string> kKeyedByData = {"intact_instances", "zero_shot.macro_auc"};

// "zero_shot.recall_at_1" for nested objects, except those keyed by data.
void collect_fields(const nlohmann::json& j, const std::string& prefix, std::set<std::string>& out) {
  for (const auto& [key, value] : j.items()) {
    const std::string name = prefix.empty() ? key : prefix + "." + key;
    out.insert(name);
    if (value.is_object() && !kKeyedByData.count(name)) collect_fields(value, name, out);
  }
}

// Every line the writer makes for one run, with a scored validation (the zero_shot object present).
std::vector<nlohmann::json> every_kind_of_line(const std::filesystem::path& path) {
  RunInfo run;
  run.run = "demo";
  run.restarts = 1;
  run.anatomies = {"lung", "heart"};
  StepReport step;
  step.step = 1;
  step.intact_instances = {2, 1};
  ValidationReport validation{1, 3.0, 2.0, 1.0};
  ZeroShotFigures z;
  z.families = {"fvlm"};
  z.macro_auc = {0.7};
  validation.zero_shot = z;
  {
    MetricsLog log(path);
    log.on_start(run);
    log.on_step(step);
    log.on_validation(validation);
    log.on_checkpoint(CheckpointReport{1, true, 0.5, 100, 1.7e9});
    log.on_finish();
  }
  std::vector<nlohmann::json> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

// The text of "### `EVENT`" up to the next heading of level 2 or 3.
std::string section_of(const std::string& doc, const std::string& event) {
  const std::string heading = "### `" + event + "`\n";
  const size_t start = doc.find(heading);
  if (start == std::string::npos) return {};
  size_t end = doc.find("\n## ", start + heading.size());
  end = std::min(end, doc.find("\n### ", start + heading.size()));
  return doc.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

TEST(MetricsLogDoc, ThePageListsEveryFieldOfEveryEvent) {
  std::ifstream in(std::string(CAGCL_SOURCE_DIR) + "/docs/metrics-log.md");
  ASSERT_TRUE(in) << "docs/metrics-log.md is missing";
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  test_support::TempDir dir;
  const auto lines = every_kind_of_line(dir / "metrics.jsonl");
  ASSERT_EQ(lines.size(), 5u);
  for (const auto& line : lines) {
    const std::string event = line.at("event");
    const std::string section = section_of(doc, event);
    ASSERT_FALSE(section.empty()) << "docs/metrics-log.md has no section ### `" << event << "`";
    std::set<std::string> fields;
    collect_fields(line, "", fields);
    for (const auto& field : fields)
      EXPECT_NE(section.find("`" + field + "`"), std::string::npos)
          << "docs/metrics-log.md, section `" << event << "`, does not list the field `" << field << "`";
  }
}

}  // namespace
}  // namespace cagcl::trainer
