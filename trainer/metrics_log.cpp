#include "trainer/metrics_log.hpp"

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>

#include "common/error.hpp"

namespace cagcl::trainer {
namespace {
double unix_now() { return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count(); }

// {"lung": 8, ...}: by name rather than a bare array, so a reader needs no second source for the order.
nlohmann::json intact_by_anatomy(const StepReport& r, const RunInfo& run) {
  if (r.intact_instances.size() != run.anatomies.size())
    throw Error("metrics log: step " + std::to_string(r.step) + " reports " +
                std::to_string(r.intact_instances.size()) + " intact-instance counts for " +
                std::to_string(run.anatomies.size()) + " anatomies (data.anatomies)");
  nlohmann::json out = nlohmann::json::object();
  for (size_t i = 0; i < run.anatomies.size(); ++i) out[run.anatomies[i]] = r.intact_instances[i];
  return out;
}

// A figure, or null where it is undefined (JSON has no NaN).
nlohmann::json number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

nlohmann::json to_json(const ZeroShotFigures& z) {
  nlohmann::json by_family = nlohmann::json::object();
  for (size_t f = 0; f < z.families.size() && f < z.macro_auc.size(); ++f)
    by_family[z.families[f]] = number(z.macro_auc[f]);
  return {{"macro_auc_mean", number(z.macro_auc_mean)}, {"macro_auc", by_family},
          {"template_sd", number(z.template_sd)},       {"collapse_index", number(z.collapse_index)},
          {"recall_at_1", number(z.recall_at_1)},       {"recall_at_5", number(z.recall_at_5)},
          {"recall_at_10", number(z.recall_at_10)},     {"seconds", z.seconds}};
}
}  // namespace

nlohmann::json to_json(const StepReport& r, const RunInfo& run) {
  return {{"event", "step"},
          {"invocation", run.invocation},
          {"restarts", run.restarts},
          {"step", r.step},
          {"total_steps", r.total_steps},
          {"epoch", r.epoch},
          {"loss", r.loss_total},
          {"loss_local", r.loss_local},
          {"loss_global", r.loss_global},
          {"lr", r.lr},
          {"tau_local", r.tau_local},
          {"tau_global", r.tau_global},
          {"grad_norm", r.grad_norm},
          {"samples", r.samples},
          {"global_samples", r.global_samples},
          {"step_seconds", r.step_seconds},
          {"data_wait_seconds", r.data_wait_seconds},
          {"comm_seconds", r.comm_seconds},
          {"text_collapse_index", r.text_collapse_index},
          {"bad_samples", r.bad_samples},
          {"memory_bytes", r.memory_bytes},
          {"intact_instances", intact_by_anatomy(r, run)},
          {"time", unix_now()}};
}

nlohmann::json to_json(const ValidationReport& r, const RunInfo& run) {
  nlohmann::json line = {
      {"event", "validation"}, {"invocation", run.invocation}, {"restarts", run.restarts},    {"step", r.step},
      {"loss", r.loss_total},  {"loss_local", r.loss_local},   {"loss_global", r.loss_global}};
  if (r.zero_shot) line["zero_shot"] = to_json(*r.zero_shot);
  line["time"] = unix_now();
  return line;
}

nlohmann::json to_json(const CheckpointReport& r, const RunInfo& run) {
  return {{"event", "checkpoint"},
          {"invocation", run.invocation},
          {"restarts", run.restarts},
          {"step", r.step},
          {"ok", r.ok},
          {"seconds", r.seconds},
          {"bytes", r.bytes},
          {"time", r.unix_time}};
}

MetricsLog::MetricsLog(const std::filesystem::path& path) : path_(path) {
  file_ = std::fopen(path.c_str(), "a");
  if (!file_) throw IoError(path.string() + ": cannot open the metrics log for appending: " + std::strerror(errno));
}

MetricsLog::~MetricsLog() {
  if (file_) std::fclose(file_);
}

void MetricsLog::write(const nlohmann::json& line) {
  const std::string text = line.dump() + "\n";
  if (std::fwrite(text.data(), 1, text.size(), file_) != text.size() || std::fflush(file_) != 0)
    throw IoError(path_.string() + ": cannot append to the metrics log: " + std::strerror(errno));
}

void MetricsLog::on_start(const RunInfo& info) {
  run_ = info;
  write({{"event", "start"},
         {"invocation", info.invocation},
         {"run", info.run},
         {"job_id", info.job_id},
         {"world_size", info.world_size},
         {"restarts", info.restarts},
         {"anatomies", info.anatomies},
         {"time", unix_now()}});
}
void MetricsLog::on_step(const StepReport& report) { write(to_json(report, run_)); }
void MetricsLog::on_validation(const ValidationReport& report) { write(to_json(report, run_)); }
void MetricsLog::on_checkpoint(const CheckpointReport& report) { write(to_json(report, run_)); }
void MetricsLog::on_finish() {
  write({{"event", "finish"}, {"invocation", run_.invocation}, {"restarts", run_.restarts}, {"time", unix_now()}});
}

}  // namespace cagcl::trainer
