#include "monitoring/metric_definitions.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>

namespace cagcl::monitoring {
namespace {

std::string read_source(const std::string& relative) {
  std::ifstream in(std::string(CAGCL_SOURCE_DIR) + "/" + relative);
  EXPECT_TRUE(in) << relative;
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Series names a query may use for a definition: the family, or for histograms its _bucket/_sum/_count.
// The docs may also name a histogram's family.
std::set<std::string> queryable_names(bool with_family_names = false) {
  std::set<std::string> names;
  for (const auto* d : kAllMetrics) {
    const std::string name(d->name);
    if (d->type == MetricType::histogram) {
      if (with_family_names) names.insert(name);
      for (const char* suffix : {"_bucket", "_sum", "_count"}) names.insert(name + suffix);
    } else {
      names.insert(name);
    }
  }
  return names;
}

std::set<std::string> cagcl_names_in(const std::string& text) {
  std::set<std::string> found;
  const std::regex name("cagcl_[a-z0-9_]+");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), name); it != std::sregex_iterator(); ++it)
    found.insert(it->str());
  return found;
}

TEST(MetricDefinitions, NamesCarryThePrefixAndTheirUnit) {
  std::set<std::string_view> seen;
  const std::regex snake("cagcl_[a-z][a-z0-9_]*[a-z0-9]");
  for (const auto* d : kAllMetrics) {
    const std::string name(d->name);
    EXPECT_TRUE(seen.insert(d->name).second) << "defined twice: " << name;
    EXPECT_TRUE(std::regex_match(name, snake)) << name;
    EXPECT_EQ(d->type == MetricType::counter, ends_with(name, "_total")) << "only counters end in _total: " << name;
    if (d->type == MetricType::histogram) {
      EXPECT_TRUE(ends_with(name, "_seconds")) << name;
    }
    for (const char* unit : {"_ms", "_milliseconds", "_minutes", "_hours", "_kb", "_mb", "_gb", "_bits"})
      EXPECT_EQ(name.find(unit), std::string::npos) << "base units only (seconds, bytes): " << name;
  }
}

// prometheus-cpp 1.0.1 writes HELP text as it is: a backslash or newline would corrupt the exposition.
TEST(MetricDefinitions, HelpTextsNeedNoEscaping) {
  for (const auto* d : kAllMetrics) {
    EXPECT_FALSE(d->help.empty()) << d->name;
    EXPECT_EQ(d->help.find('\\'), std::string_view::npos) << d->name;
    EXPECT_EQ(d->help.find('\n'), std::string_view::npos) << d->name;
  }
}

TEST(MetricDefinitions, EveryMetricIsDocumented) {
  const std::string doc = read_source("docs/monitoring.md");
  for (const auto* d : kAllMetrics) EXPECT_NE(doc.find("`" + std::string(d->name) + "`"), std::string::npos) << d->name;
  for (const auto& name : cagcl_names_in(doc)) {
    if (name == "cagcl_tests") continue;
    EXPECT_TRUE(queryable_names(true).count(name)) << "docs/monitoring.md names an undefined metric: " << name;
  }
}

TEST(MetricDefinitions, DashboardQueriesUseDefinedMetricsOnly) {
  const auto dashboard = nlohmann::json::parse(read_source("monitoring/grafana/dashboard.json"));
  const auto names = queryable_names();
  std::string queries;
  for (const auto& panel : dashboard.at("panels"))
    for (const auto& target : panel.value("targets", nlohmann::json::array()))
      queries += target.at("expr").get<std::string>() + "\n";
  for (const auto& variable : dashboard.at("templating").at("list")) queries += variable.value("query", "") + "\n";
  const auto used = cagcl_names_in(queries);
  EXPECT_GT(used.size(), 15u);
  for (const auto& name : used) EXPECT_TRUE(names.count(name)) << "dashboard queries an undefined metric: " << name;
}

TEST(MetricDefinitions, AlertRulesUseDefinedMetricsOnly) {
  const YAML::Node rules = YAML::LoadFile(std::string(CAGCL_SOURCE_DIR) + "/monitoring/prometheus/alerts.yml");
  const auto names = queryable_names();
  int alerts = 0;
  for (const auto& group : rules["groups"]) {
    for (const auto& rule : group["rules"]) {
      ++alerts;
      EXPECT_TRUE(rule["labels"]["severity"]) << rule["alert"].as<std::string>();
      EXPECT_TRUE(rule["annotations"]["summary"]) << rule["alert"].as<std::string>();
      for (const auto& name : cagcl_names_in(rule["expr"].as<std::string>()))
        EXPECT_TRUE(names.count(name)) << rule["alert"].as<std::string>() << " uses an undefined metric: " << name;
    }
  }
  EXPECT_EQ(alerts, 5);
}

}  // namespace
}  // namespace cagcl::monitoring
