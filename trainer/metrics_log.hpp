#pragma once
// The JSON-lines metrics log of a run (RUN/metrics.jsonl, rank 0): one object per line, appended and flushed
// as events happen, so `tail -f` and a crash both see every finished step. Lines (docs/metrics-log.md has every
// field; tests/trainer/metrics_log_doc_test.cpp keeps it complete):
//   {"event":"start","invocation":..,"restarts":..,"run":...,"world_size":...,"anatomies":[..],"time":...}
//   {"event":"step","invocation":..,"restarts":..,"step":..,"loss":..,...,"intact_instances":{"lung":8,...}}
//   {"event":"validation","invocation":..,"restarts":..,"step":..,"loss":..,...[,"zero_shot":{...}]}
//   {"event":"checkpoint","invocation":..,"restarts":..,...}
//   {"event":"finish","invocation":..,"restarts":..,"time":...}
// A resumed run appends to the same file; steps after the checkpoint it resumed from appear again, with a
// higher "invocation" (trainer/invocation_counter.hpp) and, when resumed from a checkpoint, a higher
// "restarts" (RunInfo::restarts): every line carries both, so a reader keeps the last line of each step.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "trainer/training_observer.hpp"

namespace cagcl::trainer {

class MetricsLog : public TrainingObserver {
 public:
  // IoError naming the path when it cannot be opened for appending.
  explicit MetricsLog(const std::filesystem::path& path);
  ~MetricsLog() override;
  void on_start(const RunInfo& info) override;
  void on_step(const StepReport& report) override;
  void on_validation(const ValidationReport& report) override;
  void on_checkpoint(const CheckpointReport& report) override;
  void on_finish() override;

 private:
  void write(const nlohmann::json& line);
  std::filesystem::path path_;
  RunInfo run_;  // from on_start: the invocation and anatomy names every later line needs
  std::FILE* file_ = nullptr;
};

// The same JSON objects, for tests and other writers. `run` gives the invocation and restarts every line carries
// and the
// anatomy names of StepReport::intact_instances (an Error when their counts differ).
nlohmann::json to_json(const StepReport& report, const RunInfo& run);
nlohmann::json to_json(const ValidationReport& report, const RunInfo& run);
nlohmann::json to_json(const CheckpointReport& report, const RunInfo& run);

}  // namespace cagcl::trainer
