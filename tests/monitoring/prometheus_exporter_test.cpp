#include "monitoring/prometheus_exporter.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "monitoring/monitoring_options.hpp"
#include "tests/monitoring/monitoring_test_util.hpp"

namespace cagcl::monitoring {
namespace {

ExporterOptions loopback(int port = 0, PortInUse policy = PortInUse::error) {
  ExporterOptions options;
  options.address = "127.0.0.1";
  options.port = port;
  options.on_port_in_use = policy;
  return options;
}

trainer::RunInfo run_info(int rank = 0) {
  trainer::RunInfo run;
  run.run = "exporter-test";
  run.rank = rank;
  run.world_size = 2;
  run.local_rank = rank;
  run.anatomies = test_util::sample_anatomies();
  return run;
}

TEST(PrometheusExporter, ServesTheLatestReportOnMetrics) {
  PrometheusExporter exporter(loopback());
  ASSERT_GT(exporter.port(), 0);
  exporter.on_start(run_info(1));
  exporter.on_step(test_util::sample_step(41));
  exporter.on_step(test_util::sample_step(42));
  const std::string body = test_util::http_get(exporter.port());
  EXPECT_NE(body.find("cagcl_step{rank=\"1\",run=\"exporter-test\"} 42"), std::string::npos) << body;
  EXPECT_NE(body.find("# HELP cagcl_samples_total "), std::string::npos);
  EXPECT_NE(body.find("cagcl_intact_instances{rank=\"1\",run=\"exporter-test\",anatomy=\"lung\"} 8"), std::string::npos)
      << body;
  EXPECT_NE(body.find("cagcl_intact_instances_total{rank=\"1\",run=\"exporter-test\",anatomy=\"aorta\"} 0"),
            std::string::npos)
      << body;
  EXPECT_EQ(exporter.url(), "http://127.0.0.1:" + std::to_string(exporter.port()) + "/metrics");
}

TEST(PrometheusExporter, ServesAnEmptyPageBeforeTheRunStarts) {
  PrometheusExporter exporter(loopback());
  const std::string body = test_util::http_get(exporter.port());
  EXPECT_EQ(body.find("cagcl_"), std::string::npos) << body;
}

TEST(PrometheusExporter, PortInUseIsAnErrorNamingTheKeysToChange) {
  PrometheusExporter first(loopback());
  try {
    PrometheusExporter second(loopback(first.port(), PortInUse::error));
    FAIL() << "a second exporter bound the same port " << first.port();
  } catch (const UsageError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("127.0.0.1:" + std::to_string(first.port())), std::string::npos) << what;
    EXPECT_NE(what.find("monitoring.on_port_in_use"), std::string::npos) << what;
    EXPECT_NE(what.find("--metrics-port"), std::string::npos) << what;
  }
}

TEST(PrometheusExporter, PortInUseMovesToTheNextFreePort) {
  PrometheusExporter first(loopback());
  if (first.port() >= 65535) GTEST_SKIP() << "ephemeral port at the top of the range";
  PrometheusExporter second(loopback(first.port(), PortInUse::next));
  EXPECT_GT(second.port(), first.port());
  second.on_start(run_info());
  EXPECT_NE(test_util::http_get(second.port()).find("cagcl_step"), std::string::npos);
  EXPECT_EQ(test_util::http_get(first.port()).find("cagcl_step"), std::string::npos) << "first has no run";
}

TEST(PrometheusExporter, FileSdTargetIsWrittenAtStartAndRemovedAtExit) {
  test_util::TempDir dir;
  auto options = loopback();
  options.file_sd_dir = (dir.path() / "targets").string();
  std::string path;
  {
    PrometheusExporter exporter(options);
    EXPECT_EQ(exporter.file_sd_path(), "");
    trainer::RunInfo run = run_info(1);
    run.job_id = "99";
    exporter.on_start(run);
    path = exporter.file_sd_path();
    ASSERT_TRUE(std::filesystem::exists(path)) << path;
    EXPECT_EQ(std::filesystem::path(path).extension(), ".json");
    const auto json = nlohmann::json::parse(std::ifstream(path));
    ASSERT_TRUE(json.is_array());
    ASSERT_EQ(json.size(), 1u);
    EXPECT_EQ(json[0]["targets"], nlohmann::json::array({"127.0.0.1:" + std::to_string(exporter.port())}));
    EXPECT_EQ(json[0]["labels"], (nlohmann::json{{"rank", "1"}, {"run", "exporter-test"}, {"slurm_job_id", "99"}}));
    // Nothing but the target file: no temporary left for the *.json glob to trip over.
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path() / "targets"), {}), 1);
  }
  EXPECT_FALSE(std::filesystem::exists(path)) << "file_sd entry left behind after a clean exit";
}

TEST(PrometheusExporter, AdvertisesTheHostNameWhenListeningOnAllInterfaces) {
  ExporterOptions options = loopback();
  options.address = "0.0.0.0";
  PrometheusExporter exporter(options);
  EXPECT_NE(exporter.host(), "0.0.0.0");
  EXPECT_FALSE(exporter.host().empty());
  EXPECT_NE(test_util::http_get(exporter.port()), "") << "0.0.0.0 includes the loopback interface";
  options.advertise_host = "node07.cluster";
  PrometheusExporter named(options);
  EXPECT_EQ(named.host(), "node07.cluster");
}

TEST(MonitoringOptions, PortIsBasePlusLocalRankAndZeroDisables) {
  MonitoringConfig config;
  config.port_base = 9400;
  config.on_port_in_use = "error";
  config.file_sd = "/tmp/sd";
  const auto options = exporter_options(config, 3);
  ASSERT_TRUE(options);
  EXPECT_EQ(options->port, 9403);
  EXPECT_EQ(options->on_port_in_use, PortInUse::error);
  EXPECT_EQ(options->file_sd_dir, "/tmp/sd");
  config.port_base = 0;
  EXPECT_FALSE(exporter_options(config, 3));
  EXPECT_EQ(make_prometheus_exporter(config, 0), nullptr);
  config.port_base = 65535;
  EXPECT_THROW(exporter_options(config, 1), UsageError);
}

TEST(MonitoringOptions, PresetsSetEveryMonitoringKey) {
  const Config tiny = load_config("tiny");
  EXPECT_EQ(tiny.monitoring.port_base, 0) << "tests open no port unless they ask";
  const Config small = load_config("small", {"monitoring.on_port_in_use=error"});
  EXPECT_EQ(small.monitoring.port_base, 9400);
  EXPECT_EQ(small.monitoring.on_port_in_use, "error");
  EXPECT_THROW(load_config("small", {"monitoring.on_port_in_use=retry"}), UsageError);
  EXPECT_THROW(load_config("small", {"monitoring.port_base=70000"}), UsageError);
}

}  // namespace
}  // namespace cagcl::monitoring
