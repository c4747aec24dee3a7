#pragma once
// Receivers of the trainer's reports (trainer/step_report.hpp): the JSON-lines metrics log and the Prometheus
// exporter are two of them, so the training loop knows neither.
#include "trainer/step_report.hpp"

namespace cagcl::trainer {

class TrainingObserver {
 public:
  virtual ~TrainingObserver() = default;
  virtual void on_start(const RunInfo&) {}
  virtual void on_step(const StepReport&) {}
  virtual void on_validation(const ValidationReport&) {}
  virtual void on_checkpoint(const CheckpointReport&) {}
  virtual void on_finish() {}
};

}  // namespace cagcl::trainer
