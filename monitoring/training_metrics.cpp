#include "monitoring/training_metrics.hpp"

#include <chrono>
#include <type_traits>

#include "common/error.hpp"
#include "monitoring/metric_definitions.hpp"

namespace cagcl::monitoring {
namespace {

template <typename Metric>
MetricType type_of();
template <>
MetricType type_of<prometheus::Counter>() {
  return MetricType::counter;
}
template <>
MetricType type_of<prometheus::Gauge>() {
  return MetricType::gauge;
}
template <>
MetricType type_of<prometheus::Histogram>() {
  return MetricType::histogram;
}

template <typename Metric>
prometheus::Family<Metric>& family(prometheus::Registry& registry, const MetricDefinition& definition,
                                   const prometheus::Labels& identity) {
  if (definition.type != type_of<Metric>())
    throw Error("monitoring: metric '" + std::string(definition.name) + "' registered with the wrong type");
  auto builder = [] {
    if constexpr (std::is_same_v<Metric, prometheus::Counter>)
      return prometheus::BuildCounter();
    else if constexpr (std::is_same_v<Metric, prometheus::Gauge>)
      return prometheus::BuildGauge();
    else
      return prometheus::BuildHistogram();
  };
  return builder()
      .Name(std::string(definition.name))
      .Help(std::string(definition.help))
      .Labels(identity)
      .Register(registry);
}

prometheus::Gauge& gauge(prometheus::Registry& registry, const MetricDefinition& definition,
                         const prometheus::Labels& identity, const std::string& label_value = {}) {
  auto& f = family<prometheus::Gauge>(registry, definition, identity);
  if (definition.label.empty()) return f.Add({});
  return f.Add({{std::string(definition.label), label_value}});
}

prometheus::Counter& counter(prometheus::Registry& registry, const MetricDefinition& definition,
                             const prometheus::Labels& identity, const std::string& label_value = {}) {
  auto& f = family<prometheus::Counter>(registry, definition, identity);
  if (definition.label.empty()) return f.Add({});
  return f.Add({{std::string(definition.label), label_value}});
}

prometheus::Histogram& duration_histogram(prometheus::Registry& registry, const MetricDefinition& definition,
                                          const prometheus::Labels& identity) {
  return family<prometheus::Histogram>(registry, definition, identity)
      .Add({}, prometheus::Histogram::BucketBoundaries(kDurationBuckets.begin(), kDurationBuckets.end()));
}

double now_unix_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

prometheus::Labels TrainingMetrics::identity_labels(const trainer::RunInfo& run) {
  prometheus::Labels labels{{std::string(kRankLabel), std::to_string(run.rank)}, {std::string(kRunLabel), run.run}};
  if (!run.job_id.empty()) labels.emplace(std::string(kSlurmJobLabel), run.job_id);
  return labels;
}

TrainingMetrics::TrainingMetrics(prometheus::Registry& registry, const trainer::RunInfo& run)
    : registry_(registry),
      identity_(identity_labels(run)),
      step_(gauge(registry, metric::step, identity_)),
      total_steps_(gauge(registry, metric::total_steps, identity_)),
      epoch_(gauge(registry, metric::epoch, identity_)),
      last_step_time_(gauge(registry, metric::last_step_time, identity_)),
      loss_total_(gauge(registry, metric::loss, identity_, "total")),
      loss_local_(gauge(registry, metric::loss, identity_, "local")),
      loss_global_(gauge(registry, metric::loss, identity_, "global")),
      learning_rate_(gauge(registry, metric::learning_rate, identity_)),
      tau_local_(gauge(registry, metric::temperature, identity_, "local")),
      tau_global_(gauge(registry, metric::temperature, identity_, "global")),
      grad_norm_(gauge(registry, metric::grad_norm, identity_)),
      text_collapse_index_(gauge(registry, metric::text_collapse_index, identity_)),
      samples_(counter(registry, metric::samples, identity_)),
      throughput_(gauge(registry, metric::throughput, identity_)),
      skipped_unreadable_(counter(registry, metric::skipped_samples, identity_, "unreadable")),
      step_duration_(duration_histogram(registry, metric::step_duration, identity_)),
      data_wait_(duration_histogram(registry, metric::data_wait, identity_)),
      communication_(duration_histogram(registry, metric::communication, identity_)),
      checkpoints_ok_(counter(registry, metric::checkpoints, identity_, "ok")),
      checkpoints_failed_(counter(registry, metric::checkpoints, identity_, "failed")),
      memory_resident_(gauge(registry, metric::memory, identity_, "resident")),
      anatomies_(run.anatomies) {
  for (const auto& anatomy : anatomies_) {
    intact_instances_.push_back(&gauge(registry, metric::intact_instances, identity_, anatomy));
    intact_instances_total_.push_back(&counter(registry, metric::intact_instances_total, identity_, anatomy));
  }
  gauge(registry, metric::start_time, identity_).Set(now_unix_seconds());
  gauge(registry, metric::restarts, identity_).Set(static_cast<double>(run.restarts));
  gauge(registry, metric::world_size, identity_).Set(run.world_size);
}

void TrainingMetrics::record(const trainer::StepReport& r) {
  step_.Set(static_cast<double>(r.step));
  total_steps_.Set(static_cast<double>(r.total_steps));
  epoch_.Set(static_cast<double>(r.epoch));
  loss_total_.Set(r.loss_total);
  loss_local_.Set(r.loss_local);
  loss_global_.Set(r.loss_global);
  learning_rate_.Set(r.lr);
  tau_local_.Set(r.tau_local);
  tau_global_.Set(r.tau_global);
  grad_norm_.Set(r.grad_norm);
  text_collapse_index_.Set(r.text_collapse_index);
  if (r.samples > 0) samples_.Increment(static_cast<double>(r.samples));
  if (r.step_seconds > 0) throughput_.Set(static_cast<double>(r.samples) / r.step_seconds);
  if (r.bad_samples > 0) skipped_unreadable_.Increment(static_cast<double>(r.bad_samples));
  step_duration_.Observe(r.step_seconds);
  data_wait_.Observe(r.data_wait_seconds);
  communication_.Observe(r.comm_seconds);
  memory_resident_.Set(r.memory_bytes);
  record_gpu(r);
  record_intact_instances(r);
  last_step_time_.Set(now_unix_seconds());
}

void TrainingMetrics::record_intact_instances(const trainer::StepReport& r) {
  if (r.intact_instances.size() != anatomies_.size())
    throw Error("monitoring: step " + std::to_string(r.step) + " reports " + std::to_string(r.intact_instances.size()) +
                " intact-instance counts for " + std::to_string(anatomies_.size()) + " anatomies (data.anatomies)");
  for (size_t i = 0; i < anatomies_.size(); ++i) {
    const auto n = static_cast<double>(r.intact_instances[i]);
    intact_instances_[i]->Set(n);
    if (n > 0) intact_instances_total_[i]->Increment(n);
  }
}

void TrainingMetrics::record_gpu(const trainer::StepReport& r) {
  if (r.cuda_allocated_bytes) {
    if (!cuda_allocated_) cuda_allocated_ = &gauge(registry_, metric::memory, identity_, "cuda_allocated");
    cuda_allocated_->Set(*r.cuda_allocated_bytes);
  }
  if (r.cuda_reserved_bytes) {
    if (!cuda_reserved_) cuda_reserved_ = &gauge(registry_, metric::memory, identity_, "cuda_reserved");
    cuda_reserved_->Set(*r.cuda_reserved_bytes);
  }
  if (r.gpu_utilization) {
    if (!gpu_utilization_) gpu_utilization_ = &gauge(registry_, metric::gpu_utilization, identity_);
    gpu_utilization_->Set(*r.gpu_utilization);
  }
}

void TrainingMetrics::record(const trainer::ValidationReport& r) {
  if (!validation_loss_) validation_loss_ = &family<prometheus::Gauge>(registry_, metric::validation_loss, identity_);
  const std::string kind(metric::validation_loss.label);
  validation_loss_->Add({{kind, "total"}}).Set(r.loss_total);
  validation_loss_->Add({{kind, "local"}}).Set(r.loss_local);
  validation_loss_->Add({{kind, "global"}}).Set(r.loss_global);
  if (r.zero_shot) record_zero_shot(*r.zero_shot);
}

void TrainingMetrics::record_zero_shot(const trainer::ZeroShotFigures& z) {
  if (z.families.size() != z.macro_auc.size())
    throw Error("monitoring: zero-shot figures with " + std::to_string(z.macro_auc.size()) + " macro AUCs for " +
                std::to_string(z.families.size()) + " template families");
  if (!zero_shot_auc_) {
    zero_shot_auc_ = &family<prometheus::Gauge>(registry_, metric::validation_zero_shot_auc, identity_);
    zero_shot_auc_mean_ = &gauge(registry_, metric::validation_zero_shot_auc_mean, identity_);
    template_sd_ = &gauge(registry_, metric::validation_template_sd, identity_);
    validation_collapse_ = &gauge(registry_, metric::validation_collapse_index, identity_);
    recall_ = &family<prometheus::Gauge>(registry_, metric::validation_recall, identity_);
  }
  const std::string family_label(metric::validation_zero_shot_auc.label), k(metric::validation_recall.label);
  for (size_t f = 0; f < z.families.size(); ++f)
    zero_shot_auc_->Add({{family_label, z.families[f]}}).Set(z.macro_auc[f]);
  zero_shot_auc_mean_->Set(z.macro_auc_mean);
  template_sd_->Set(z.template_sd);
  validation_collapse_->Set(z.collapse_index);
  recall_->Add({{k, "1"}}).Set(z.recall_at_1);
  recall_->Add({{k, "5"}}).Set(z.recall_at_5);
  recall_->Add({{k, "10"}}).Set(z.recall_at_10);
}

void TrainingMetrics::record(const trainer::CheckpointReport& r) {
  if (!r.ok) {
    checkpoints_failed_.Increment();
    return;
  }
  checkpoints_ok_.Increment();
  if (!checkpoint_duration_) {
    checkpoint_duration_ = &gauge(registry_, metric::checkpoint_duration, identity_);
    checkpoint_bytes_ = &gauge(registry_, metric::checkpoint_bytes, identity_);
    checkpoint_last_success_ = &gauge(registry_, metric::checkpoint_last_success, identity_);
  }
  checkpoint_duration_->Set(r.seconds);
  checkpoint_bytes_->Set(r.bytes);
  checkpoint_last_success_->Set(r.unix_time > 0 ? r.unix_time : now_unix_seconds());
}

}  // namespace cagcl::monitoring
