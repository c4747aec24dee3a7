#pragma once
// The JSON-lines metrics log of a run (RUN/metrics.jsonl, rank 0): one object per line, appended and flushed
// as events happen, so `tail -f` and a crash both see every finished step. Lines:
//   {"event":"start","run":...,"world_size":...,"restarts":...,"time":...}
//   {"event":"step","step":..,"loss":..,"loss_local":..,"loss_global":..,"lr":..,"grad_norm":..,...}
//   {"event":"validation","step":..,"loss":..,...}   {"event":"checkpoint","step":..,"ok":..,"seconds":..,...}
//   {"event":"finish","time":...}
// A resumed run appends to the same file; steps after the checkpoint it resumed from appear again.
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
  std::FILE* file_ = nullptr;
};

// The same JSON objects, for tests and other writers.
nlohmann::json to_json(const StepReport& report);
nlohmann::json to_json(const ValidationReport& report);
nlohmann::json to_json(const CheckpointReport& report);

}  // namespace cagcl::trainer
