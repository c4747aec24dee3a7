#pragma once
// The metric families of monitoring/metric_definitions.hpp in a prometheus-cpp registry, updated from the
// trainer's reports. Knows nothing about HTTP: PrometheusExporter serves the registry, tests serialise it.
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>
#include <vector>

#include "trainer/step_report.hpp"

namespace cagcl::monitoring {

class TrainingMetrics {
 public:
  // Registers every family in `registry` with the constant labels of `run` (rank, run, slurm_job_id when
  // there is one) and sets the start-up gauges (restarts, world size, start time).
  TrainingMetrics(prometheus::Registry& registry, const trainer::RunInfo& run);

  void record(const trainer::StepReport& step);
  void record(const trainer::ValidationReport& validation);
  void record(const trainer::CheckpointReport& checkpoint);

  // The constant labels of every series, e.g. {rank="1", run="demo"}.
  static prometheus::Labels identity_labels(const trainer::RunInfo& run);

 private:
  void record_intact_instances(const trainer::StepReport& step);
  void record_zero_shot(const trainer::ZeroShotFigures& figures);
  void record_gpu(const trainer::StepReport& step);

  prometheus::Registry& registry_;
  prometheus::Labels identity_;
  prometheus::Gauge& step_;
  prometheus::Gauge& total_steps_;
  prometheus::Gauge& epoch_;
  prometheus::Gauge& last_step_time_;
  prometheus::Gauge& loss_total_;
  prometheus::Gauge& loss_local_;
  prometheus::Gauge& loss_global_;
  prometheus::Gauge& learning_rate_;
  prometheus::Gauge& tau_local_;
  prometheus::Gauge& tau_global_;
  prometheus::Gauge& grad_norm_;
  prometheus::Gauge& text_collapse_index_;
  prometheus::Counter& samples_;
  prometheus::Gauge& throughput_;
  prometheus::Counter& skipped_unreadable_;
  prometheus::Histogram& step_duration_;
  prometheus::Histogram& data_wait_;
  prometheus::Histogram& communication_;
  prometheus::Counter& checkpoints_ok_;
  prometheus::Counter& checkpoints_failed_;
  prometheus::Gauge& memory_resident_;
  // One series per anatomy of RunInfo::anatomies (label `anatomy`), in that order.
  std::vector<std::string> anatomies_;
  std::vector<prometheus::Gauge*> intact_instances_;
  std::vector<prometheus::Counter*> intact_instances_total_;
  // Created by the first validation / successful checkpoint, so that no series claims a value (a loss of
  // 0, a checkpoint in 1970) that never happened.
  prometheus::Family<prometheus::Gauge>* validation_loss_ = nullptr;
  prometheus::Family<prometheus::Gauge>* zero_shot_auc_ = nullptr;  // and the other zero-shot families below
  prometheus::Gauge* zero_shot_auc_mean_ = nullptr;
  prometheus::Gauge* template_sd_ = nullptr;
  prometheus::Gauge* validation_collapse_ = nullptr;
  prometheus::Family<prometheus::Gauge>* recall_ = nullptr;
  prometheus::Gauge* checkpoint_duration_ = nullptr;
  prometheus::Gauge* checkpoint_bytes_ = nullptr;
  prometheus::Gauge* checkpoint_last_success_ = nullptr;
  // Created by the first step that reports them (on a GPU; utilisation only where NVML is present).
  prometheus::Gauge* cuda_allocated_ = nullptr;
  prometheus::Gauge* cuda_reserved_ = nullptr;
  prometheus::Gauge* gpu_utilization_ = nullptr;
};

}  // namespace cagcl::monitoring
