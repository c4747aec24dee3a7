// The Grafana dashboard and its provisioning files: valid JSON/YAML that Grafana loads unchanged, every
// panel on the datasource variable with PromQL queries. (Whether each query returns data from a real run
// is checked by the Prometheus integration test.)
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

namespace cagcl {
namespace {

const std::string kGrafana = std::string(CAGCL_SOURCE_DIR) + "/monitoring/grafana";

nlohmann::json dashboard() {
  std::ifstream in(kGrafana + "/dashboard.json");
  EXPECT_TRUE(in);
  return nlohmann::json::parse(in);  // throws on invalid JSON
}

TEST(GrafanaDashboard, HasADatasourceVariableAndJobRunFilters) {
  const auto d = dashboard();
  EXPECT_EQ(d.at("uid"), "cagcl-training");
  std::set<std::string> variables;
  for (const auto& v : d.at("templating").at("list")) {
    variables.insert(v.at("name").get<std::string>());
    if (v.at("name") == "datasource") {
      EXPECT_EQ(v.at("type"), "datasource");
      EXPECT_EQ(v.at("query"), "prometheus");
    } else {
      EXPECT_EQ(v.at("type"), "query");
      EXPECT_EQ(v.at("datasource").at("uid"), "${datasource}") << v.at("name");
      EXPECT_EQ(v.at("query").get<std::string>().rfind("label_values(", 0), 0u) << v.at("name");
    }
  }
  EXPECT_EQ(variables, (std::set<std::string>{"datasource", "job", "run", "slurm_job_id"}));
}

TEST(GrafanaDashboard, EveryPanelQueriesTheDatasourceVariableWithFilters) {
  const auto d = dashboard();
  std::set<int> ids;
  int data_panels = 0;
  for (const auto& panel : d.at("panels")) {
    const std::string title = panel.at("title");
    EXPECT_TRUE(ids.insert(panel.at("id").get<int>()).second) << "duplicate panel id: " << title;
    EXPECT_TRUE(panel.contains("gridPos")) << title;
    if (panel.at("type") == "row") continue;
    ++data_panels;
    EXPECT_EQ(panel.at("datasource").at("uid"), "${datasource}") << title;
    ASSERT_FALSE(panel.at("targets").empty()) << title;
    for (const auto& target : panel.at("targets")) {
      EXPECT_EQ(target.at("datasource").at("uid"), "${datasource}") << title;
      const std::string expr = target.at("expr");
      EXPECT_FALSE(expr.empty()) << title;
      // Each query honours the dashboard's filters (up has only the scrape job).
      EXPECT_NE(expr.find("job=~\"$job\""), std::string::npos) << title << ": " << expr;
      if (expr.find("cagcl_") != std::string::npos) {
        EXPECT_NE(expr.find("run=~\"$run\""), std::string::npos) << title << ": " << expr;
      }
    }
  }
  EXPECT_GE(data_panels, 15);
}

TEST(GrafanaDashboard, CoversTheContractedPanels) {
  std::set<std::string> titles;
  const auto d = dashboard();
  for (const auto& panel : d.at("panels")) titles.insert(panel.at("title").get<std::string>());
  for (const char* wanted :
       {"Loss by kind", "Learning rate", "Temperature", "Gradient norm", "Samples/s per rank", "Samples/s total",
        "Step time quantiles", "Data-wait and communication share", "Text-collapse index", "Checkpoint age", "Restarts",
        "Memory per rank", "Intact instances by anatomy", "Live zero-shot AUC", "Live retrieval and text collapse"})
    EXPECT_TRUE(titles.count(wanted)) << wanted;
}

// An anatomy that is never intact trains nothing: the dashboard must show each anatomy's own line.
TEST(GrafanaDashboard, PlotsIntactInstancesByAnatomy) {
  const auto d = dashboard();  // named: a temporary would die before the loop runs
  int found = 0;
  for (const auto& panel : d.at("panels"))
    for (const auto& target : panel.value("targets", nlohmann::json::array())) {
      const std::string expr = target.at("expr");
      if (expr.find("cagcl_intact_instances{") == std::string::npos) continue;
      ++found;
      EXPECT_NE(expr.find("anatomy)"), std::string::npos) << "not by anatomy: " << expr;
      EXPECT_NE(target.at("legendFormat").get<std::string>().find("{{anatomy}}"), std::string::npos) << expr;
    }
  EXPECT_EQ(found, 1);
}

// Live zero-shot figures: one line per template family and per K, so a prompt-sensitive or collapsing model shows.
TEST(GrafanaDashboard, PlotsLiveZeroShotByFamilyAndRecallByK) {
  const auto d = dashboard();
  std::set<std::string> exprs;
  for (const auto& panel : d.at("panels"))
    for (const auto& target : panel.value("targets", nlohmann::json::array())) exprs.insert(target.at("expr"));
  const auto has = [&](const std::string& metric, const std::string& by) {
    for (const auto& e : exprs)
      if (e.find(metric + "{") != std::string::npos && e.find(by) != std::string::npos) return true;
    return false;
  };
  EXPECT_TRUE(has("cagcl_validation_zero_shot_auc", "family)"));
  EXPECT_TRUE(has("cagcl_validation_zero_shot_auc_mean", "(run)"));
  EXPECT_TRUE(has("cagcl_validation_template_sd", "(run)"));
  EXPECT_TRUE(has("cagcl_validation_collapse_index", "(run)"));
  EXPECT_TRUE(has("cagcl_validation_recall", "k)"));
}

// The targets of one panel, by title (rows share some titles and have none).
nlohmann::json panel_targets(const nlohmann::json& d, const std::string& title) {
  for (const auto& panel : d.at("panels"))
    if (panel.at("title") == title && panel.at("type") != "row") return panel.at("targets");
  ADD_FAILURE() << "no panel " << title;
  return nlohmann::json::array();
}

// Every rank counts every checkpoint (all take part in each): a sum over ranks would show world size times
// the checkpoints. The integration test compares the panel with the checkpoints a real run wrote.
// On a GPU the exporter reports NVML's utilisation (cagcl_gpu_utilization_ratio): a starved GPU must show, per rank.
TEST(GrafanaDashboard, PlotsGpuUtilisationPerRank) {
  const auto d = dashboard();
  int found = 0;
  for (const auto& panel : d.at("panels"))
    for (const auto& target : panel.value("targets", nlohmann::json::array())) {
      const std::string expr = target.at("expr");
      if (expr.find("cagcl_gpu_utilization_ratio{") == std::string::npos) continue;
      ++found;
      EXPECT_NE(expr.find("rank)"), std::string::npos) << "not per rank: " << expr;
      EXPECT_EQ(panel.at("fieldConfig").at("defaults").at("unit"), "percentunit") << expr;
    }
  EXPECT_EQ(found, 1);
}

TEST(GrafanaDashboard, CountsEachCheckpointOnceNotOncePerRank) {
  const auto targets = panel_targets(dashboard(), "Checkpoints");
  ASSERT_EQ(targets.size(), 1u);
  const std::string expr = targets[0].at("expr");
  EXPECT_NE(expr.find("cagcl_checkpoints_total{"), std::string::npos) << expr;
  EXPECT_EQ(expr.rfind("max by (run, result) (", 0), 0u) << expr;
}

// `up` carries only job and instance under the static scrape config: the ranks panel joins it with the
// selected run's series, so that other runs' targets are not counted (checked against a real Prometheus with
// two runs by the integration test).
TEST(GrafanaDashboard, CountsTargetsUpOfTheSelectedRunOnly) {
  int up_queries = 0;
  for (const auto& target : panel_targets(dashboard(), "Ranks reporting")) {
    const std::string expr = target.at("expr");
    if (expr.find("up{") == std::string::npos) continue;
    ++up_queries;
    EXPECT_EQ(expr.rfind("sum by (run) (", 0), 0u) << expr;
    EXPECT_NE(expr.find("on (job, instance) group_left"), std::string::npos) << expr;
    EXPECT_NE(expr.find("run=~\"$run\""), std::string::npos) << expr;
    EXPECT_NE(target.at("legendFormat").get<std::string>().find("{{run}}"), std::string::npos) << expr;
  }
  EXPECT_EQ(up_queries, 1);
}

TEST(GrafanaProvisioning, LoadsTheDashboardDirectoryAndAPrometheusDatasource) {
  const YAML::Node dashboards = YAML::LoadFile(kGrafana + "/provisioning/dashboards/cagcl.yaml");
  EXPECT_EQ(dashboards["apiVersion"].as<int>(), 1);
  EXPECT_EQ(dashboards["providers"][0]["type"].as<std::string>(), "file");
  EXPECT_EQ(dashboards["providers"][0]["options"]["path"].as<std::string>(), "$CAGCL_GRAFANA_DIR");
  const YAML::Node sources = YAML::LoadFile(kGrafana + "/provisioning/datasources/cagcl-prometheus.yaml");
  EXPECT_EQ(sources["apiVersion"].as<int>(), 1);
  EXPECT_EQ(sources["datasources"][0]["type"].as<std::string>(), "prometheus");
  EXPECT_TRUE(sources["datasources"][0]["isDefault"].as<bool>());
}

}  // namespace
}  // namespace cagcl
