#include "monitoring/training_metrics.hpp"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <sys/wait.h>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "common/error.hpp"
#include "monitoring/metric_definitions.hpp"
#include "tests/monitoring/monitoring_test_util.hpp"

namespace cagcl::monitoring {
namespace {

trainer::RunInfo metrics_run_info(const std::string& job_id = "") {
  trainer::RunInfo run;
  run.run = "demo";
  run.job_id = job_id;
  run.rank = 1;
  run.world_size = 2;
  run.local_rank = 1;
  run.restarts = 3;
  run.anatomies = test_util::sample_anatomies();
  return run;
}

std::string exposition(const prometheus::Registry& registry) {
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

// The value of the one sample line that starts with `series` (name{labels}), or NaN.
double value_of(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return std::nan("");
}

TEST(TrainingMetrics, EverySeriesCarriesRankAndRunLabels) {
  prometheus::Registry registry;
  TrainingMetrics metrics(registry, metrics_run_info());
  metrics.record(test_util::sample_step(1));
  const std::string text = exposition(registry);
  int samples = 0;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    ++samples;
    EXPECT_NE(line.find("rank=\"1\""), std::string::npos) << line;
    EXPECT_NE(line.find("run=\"demo\""), std::string::npos) << line;
    EXPECT_EQ(line.find("slurm_job_id"), std::string::npos) << "no Slurm job, no label: " << line;
  }
  EXPECT_GT(samples, 20);
}

TEST(TrainingMetrics, SlurmJobIdLabelInsideASlurmJob) {
  prometheus::Registry registry;
  TrainingMetrics metrics(registry, metrics_run_info("4242"));
  EXPECT_NE(exposition(registry).find("slurm_job_id=\"4242\""), std::string::npos);
}

TEST(TrainingMetrics, EveryDefinedFamilyHasHelpAndTypeOnceReported) {
  prometheus::Registry registry;
  TrainingMetrics metrics(registry, metrics_run_info());
  // A step on a GPU with NVML: the utilisation family exists only where a step reports it.
  auto step = test_util::sample_step(1);
  step.gpu_utilization = 0.5;
  metrics.record(step);
  // A validation with live zero-shot figures: their families exist only once a run reports them.
  trainer::ValidationReport validation{1, 3.0, 2.0, 1.0};
  trainer::ZeroShotFigures figures;
  figures.families = {"fvlm"};
  figures.macro_auc = {0.5};
  validation.zero_shot = figures;
  metrics.record(validation);
  metrics.record(trainer::CheckpointReport{1, true, 2.5, 1e6, 1.7e9});
  const std::string text = exposition(registry);
  const char* type_names[] = {"counter", "gauge", "histogram"};
  for (const auto* definition : kAllMetrics) {
    const std::string name(definition->name);
    EXPECT_NE(text.find("# HELP " + name + " " + std::string(definition->help) + "\n"), std::string::npos) << name;
    EXPECT_NE(text.find("# TYPE " + name + " " + type_names[static_cast<int>(definition->type)] + "\n"),
              std::string::npos)
        << name;
  }
}

TEST(TrainingMetrics, StepReportSetsGaugesAndAccumulatesCountersAndHistograms) {
  prometheus::Registry registry;
  TrainingMetrics metrics(registry, metrics_run_info());
  metrics.record(test_util::sample_step(7));
  auto second = test_util::sample_step(8);
  second.step_seconds = 2.0;
  metrics.record(second);
  const std::string text = exposition(registry);
  const std::string id = "rank=\"1\",run=\"demo\"";
  EXPECT_EQ(value_of(text, "cagcl_step{" + id + "}"), 8);
  EXPECT_EQ(value_of(text, "cagcl_total_steps{" + id + "}"), 100);
  EXPECT_EQ(value_of(text, "cagcl_loss{" + id + ",kind=\"local\"}"), 2.0);
  EXPECT_EQ(value_of(text, "cagcl_temperature{" + id + ",kind=\"global\"}"), 0.05);
  EXPECT_EQ(value_of(text, "cagcl_samples_total{" + id + "}"), 8);
  EXPECT_EQ(value_of(text, "cagcl_skipped_samples_total{" + id + ",reason=\"unreadable\"}"), 2);
  EXPECT_EQ(value_of(text, "cagcl_throughput_samples_per_second{" + id + "}"), 2.0);  // 4 samples / 2 s
  EXPECT_EQ(value_of(text, "cagcl_step_duration_seconds_count{" + id + "}"), 2);
  EXPECT_EQ(value_of(text, "cagcl_step_duration_seconds_sum{" + id + "}"), 2.5);
  EXPECT_EQ(value_of(text, "cagcl_step_duration_seconds_bucket{" + id + ",le=\"0.5\"}"), 1);
  EXPECT_EQ(value_of(text, "cagcl_step_duration_seconds_bucket{" + id + ",le=\"+Inf\"}"), 2);
  EXPECT_EQ(value_of(text, "cagcl_communication_seconds_sum{" + id + "}"), 0.2);
  EXPECT_EQ(value_of(text, "cagcl_text_collapse_index{" + id + "}"), 0.25);
  EXPECT_EQ(value_of(text, "cagcl_memory_bytes{" + id + ",kind=\"resident\"}"), 1.5e9);
  EXPECT_EQ(value_of(text, "cagcl_restarts{" + id + "}"), 3);
  EXPECT_EQ(value_of(text, "cagcl_world_size{" + id + "}"), 2);
}

// On the CPU the memory is the process's resident set alone; on a GPU the CUDA caching allocator's figures join
// it, and the GPU's utilisation where NVML answered. No series claims a GPU figure that was never measured.
TEST(TrainingMetrics, MemoryIsTheResidentSetOnTheCpuPlusTheCudaAllocatorOnAGpu) {
  prometheus::Registry registry;
  TrainingMetrics metrics(registry, metrics_run_info());
  const std::string id = "rank=\"1\",run=\"demo\"";
  metrics.record(test_util::sample_step(1));
  const std::string cpu = exposition(registry);
  EXPECT_EQ(value_of(cpu, "cagcl_memory_bytes{" + id + ",kind=\"resident\"}"), 1.5e9);
  EXPECT_EQ(cpu.find("kind=\"cuda_allocated\""), std::string::npos) << cpu;
  EXPECT_EQ(cpu.find("kind=\"cuda_reserved\""), std::string::npos) << cpu;
  EXPECT_EQ(cpu.find("# TYPE cagcl_gpu_utilization_ratio"), std::string::npos) << cpu;

  auto gpu_step = test_util::sample_step(2);
  gpu_step.cuda_allocated_bytes = 2e9;
  gpu_step.cuda_reserved_bytes = 3e9;
  metrics.record(gpu_step);
  const std::string without_nvml = exposition(registry);
  EXPECT_EQ(value_of(without_nvml, "cagcl_memory_bytes{" + id + ",kind=\"resident\"}"), 1.5e9);
  EXPECT_EQ(value_of(without_nvml, "cagcl_memory_bytes{" + id + ",kind=\"cuda_allocated\"}"), 2e9);
  EXPECT_EQ(value_of(without_nvml, "cagcl_memory_bytes{" + id + ",kind=\"cuda_reserved\"}"), 3e9);
  EXPECT_EQ(without_nvml.find("# TYPE cagcl_gpu_utilization_ratio"), std::string::npos) << "no NVML, no utilisation";

  gpu_step.step = 3;
  gpu_step.cuda_allocated_bytes = 2.5e9;
  gpu_step.gpu_utilization = 0.37;
  metrics.record(gpu_step);
  const std::string with_nvml = exposition(registry);
  EXPECT_EQ(value_of(with_nvml, "cagcl_memory_bytes{" + id + ",kind=\"cuda_allocated\"}"), 2.5e9);
  EXPECT_EQ(value_of(with_nvml, "cagcl_gpu_utilization_ratio{" + id + "}"), 0.37);
}

// The global batch's intact instances by anatomy: the gauge holds the last step, the counter sums the steps.
TEST(TrainingMetrics, IntactInstancesByAnatomy) {
  prometheus::Registry registry;
  TrainingMetrics metrics(registry, metrics_run_info());
  metrics.record(test_util::sample_step(1));
  auto second = test_util::sample_step(2);
  second.intact_instances = {4, 7, 5, 0};
  metrics.record(second);
  const std::string text = exposition(registry);
  const std::string id = "rank=\"1\",run=\"demo\"";
  EXPECT_EQ(value_of(text, "cagcl_intact_instances{" + id + ",anatomy=\"lung\"}"), 4) << text;
  EXPECT_EQ(value_of(text, "cagcl_intact_instances{" + id + ",anatomy=\"aorta\"}"), 0);
  EXPECT_EQ(value_of(text, "cagcl_intact_instances_total{" + id + ",anatomy=\"lung\"}"), 12);
  EXPECT_EQ(value_of(text, "cagcl_intact_instances_total{" + id + ",anatomy=\"heart\"}"), 14);
  EXPECT_EQ(value_of(text, "cagcl_intact_instances_total{" + id + ",anatomy=\"aorta\"}"), 0);
}

TEST(TrainingMetrics, IntactCountsThatDoNotMatchTheAnatomiesAreAnError) {
  prometheus::Registry registry;
  TrainingMetrics metrics(registry, metrics_run_info());
  auto step = test_util::sample_step(1);
  step.intact_instances = {1, 2};
  EXPECT_THROW(metrics.record(step), Error);
}

TEST(TrainingMetrics, ValidationAndCheckpointSeriesAppearOnlyOnceReported) {
  prometheus::Registry registry;
  TrainingMetrics metrics(registry, metrics_run_info());
  const std::string before = exposition(registry);
  EXPECT_EQ(before.find("cagcl_validation_loss"), std::string::npos);
  EXPECT_EQ(before.find("cagcl_checkpoint_last_success_timestamp_seconds"), std::string::npos);
  metrics.record(trainer::CheckpointReport{3, false, 9.0, 0, 0});
  const std::string failed = exposition(registry);
  EXPECT_EQ(failed.find("cagcl_checkpoint_last_success_timestamp_seconds"), std::string::npos);
  const std::string id = "rank=\"1\",run=\"demo\"";
  EXPECT_EQ(value_of(failed, "cagcl_checkpoints_total{" + id + ",result=\"failed\"}"), 1);
  metrics.record(trainer::CheckpointReport{6, true, 2.5, 1e6, 1.7e9});
  metrics.record(trainer::ValidationReport{6, 3.0, 2.0, 1.0});
  const std::string after = exposition(registry);
  EXPECT_EQ(value_of(after, "cagcl_checkpoint_last_success_timestamp_seconds{" + id + "}"), 1.7e9);
  EXPECT_EQ(value_of(after, "cagcl_checkpoint_duration_seconds{" + id + "}"), 2.5);
  EXPECT_EQ(value_of(after, "cagcl_checkpoints_total{" + id + ",result=\"ok\"}"), 1);
  EXPECT_EQ(value_of(after, "cagcl_validation_loss{" + id + ",kind=\"total\"}"), 3.0);
}

TEST(TrainingMetrics, ZeroShotSeriesAppearWithTheFirstScoredValidation) {
  prometheus::Registry registry;
  TrainingMetrics metrics(registry, metrics_run_info());
  metrics.record(trainer::ValidationReport{3, 3.0, 2.0, 1.0});
  EXPECT_EQ(exposition(registry).find("cagcl_validation_zero_shot_auc"), std::string::npos);
  trainer::ValidationReport r{6, 3.0, 2.0, 1.0};
  trainer::ZeroShotFigures z;
  z.families = {"fvlm", "ctclip"};
  z.macro_auc = {0.75, 0.5};
  z.macro_auc_mean = 0.625, z.template_sd = 0.125, z.collapse_index = 0.25;
  z.recall_at_1 = 0.125, z.recall_at_5 = 0.5, z.recall_at_10 = 0.75;
  r.zero_shot = z;
  metrics.record(r);
  const std::string text = exposition(registry);
  const std::string id = "rank=\"1\",run=\"demo\"";
  EXPECT_EQ(value_of(text, "cagcl_validation_zero_shot_auc{" + id + ",family=\"fvlm\"}"), 0.75) << text;
  EXPECT_EQ(value_of(text, "cagcl_validation_zero_shot_auc{" + id + ",family=\"ctclip\"}"), 0.5);
  EXPECT_EQ(value_of(text, "cagcl_validation_zero_shot_auc_mean{" + id + "}"), 0.625);
  EXPECT_EQ(value_of(text, "cagcl_validation_template_sd{" + id + "}"), 0.125);
  EXPECT_EQ(value_of(text, "cagcl_validation_collapse_index{" + id + "}"), 0.25);
  EXPECT_EQ(value_of(text, "cagcl_validation_recall{" + id + ",k=\"5\"}"), 0.5);
  EXPECT_EQ(value_of(text, "cagcl_validation_recall{" + id + ",k=\"10\"}"), 0.75);
}

// The exposition a scraper sees must be valid for Prometheus' own checker, also with a run name that
// needs escaping in a label value.
TEST(TrainingMetrics, ExpositionPassesPromtoolCheckMetrics) {
  if (!std::filesystem::exists("/usr/bin/promtool")) GTEST_SKIP() << "promtool missing (Debian package prometheus)";
  test_util::TempDir dir;
  auto run = metrics_run_info("77");
  run.run = "odd \"name\" with \\ backslash";
  prometheus::Registry registry;
  TrainingMetrics metrics(registry, run);
  metrics.record(test_util::sample_step(1));
  metrics.record(trainer::ValidationReport{1, 3.0, 2.0, 1.0});
  metrics.record(trainer::CheckpointReport{1, true, 2.5, 1e6, 1.7e9});
  const auto file = dir.path() / "metrics.txt";
  std::ofstream(file) << exposition(registry);
  const auto log = dir.path() / "promtool.log";
  const std::string command = "/usr/bin/promtool check metrics < '" + file.string() + "' > '" + log.string() + "' 2>&1";
  const int status = std::system(command.c_str());
  std::ifstream in(log);
  const std::string output((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << output;
  EXPECT_EQ(output, "") << "promtool lint findings";
}

}  // namespace
}  // namespace cagcl::monitoring
