#pragma once
// Every Prometheus metric family cagcl exports, in one place: name, type, HELP text and the one label
// that varies within the family (the constant labels rank, run and slurm_job_id are on every series).
// docs/monitoring.md, the Grafana dashboard and the alert rules refer to these names; a test checks that
// each name they use is defined here and that each definition is documented.
//
// Units are in the names (_seconds, _bytes, _total). The step is a gauge: counters restart at zero when
// a job is requeued, while the step continues from the checkpoint. prometheus-cpp 1.0.1 writes HELP text
// unescaped, so HELP texts contain no backslash and no newline (tested).
#include <array>
#include <string_view>

namespace cagcl::monitoring {

enum class MetricType { counter, gauge, histogram };

struct MetricDefinition {
  std::string_view name;
  MetricType type;
  std::string_view help;
  std::string_view label = {};  // the varying label ("kind", "reason", "result", "anatomy"), empty when none
};

// Constant labels every series carries.
inline constexpr std::string_view kRankLabel = "rank";
inline constexpr std::string_view kRunLabel = "run";
inline constexpr std::string_view kSlurmJobLabel = "slurm_job_id";  // only inside a Slurm job

namespace metric {
using T = MetricType;
// Progress.
inline constexpr MetricDefinition step{
    "cagcl_step", T::gauge, "Optimizer steps completed since the start of the run (continues after a requeue)"};
inline constexpr MetricDefinition total_steps{"cagcl_total_steps", T::gauge,
                                              "Length of the schedule in optimizer steps"};
inline constexpr MetricDefinition epoch{"cagcl_epoch", T::gauge, "Current epoch of the sampler"};
inline constexpr MetricDefinition last_step_time{"cagcl_last_step_timestamp_seconds", T::gauge,
                                                 "Unix time at which this rank completed its last step"};
inline constexpr MetricDefinition start_time{"cagcl_start_time_seconds", T::gauge,
                                             "Unix time at which this process started training"};
inline constexpr MetricDefinition restarts{"cagcl_restarts", T::gauge,
                                           "How often this run was resumed (requeues and restarts)"};
inline constexpr MetricDefinition world_size{"cagcl_world_size", T::gauge, "Number of ranks in the job"};
// Optimisation.
inline constexpr MetricDefinition loss{"cagcl_loss", T::gauge,
                                       "Training loss of the global batch by kind (total, local, global)", "kind"};
inline constexpr MetricDefinition validation_loss{"cagcl_validation_loss", T::gauge,
                                                  "Validation loss by kind (total, local, global)", "kind"};
inline constexpr MetricDefinition learning_rate{"cagcl_learning_rate", T::gauge, "Learning rate of the last step"};
inline constexpr MetricDefinition temperature{"cagcl_temperature", T::gauge,
                                              "Contrastive temperature by kind (local, global)", "kind"};
inline constexpr MetricDefinition grad_norm{"cagcl_grad_norm", T::gauge,
                                            "Global gradient norm of the last step, before clipping"};
inline constexpr MetricDefinition text_collapse_index{
    "cagcl_text_collapse_index", T::gauge,
    "Mean cross-anatomy cosine similarity of the batch text embeddings (1 = collapsed)"};
// Which anatomies train: only intact (sample, anatomy) instances enter the losses. Figures of the global batch,
// the same on every rank.
inline constexpr MetricDefinition intact_instances{
    "cagcl_intact_instances", T::gauge,
    "Intact instances of each anatomy in the global batch of the last step (0 = the anatomy trains nothing)",
    "anatomy"};
inline constexpr MetricDefinition intact_instances_total{
    "cagcl_intact_instances_total", T::counter,
    "Intact instances of each anatomy in the global batches of this process (the same on every rank)", "anatomy"};
// Live zero-shot scoring of the validation split (train.val_zero_shot), at each validation; the same on every
// rank. For watching the run, not for choosing settings (docs/training.md).
inline constexpr MetricDefinition validation_zero_shot_auc{
    "cagcl_validation_zero_shot_auc", T::gauge,
    "Zero-shot macro AUC (fvlm16) of the validation split by prompt template family", "family"};
inline constexpr MetricDefinition validation_zero_shot_auc_mean{
    "cagcl_validation_zero_shot_auc_mean", T::gauge,
    "Zero-shot macro AUC of the validation split, mean over the template families"};
inline constexpr MetricDefinition validation_template_sd{
    "cagcl_validation_template_sd", T::gauge,
    "Standard deviation of the template families' zero-shot macro AUCs (prompt sensitivity)"};
inline constexpr MetricDefinition validation_collapse_index{
    "cagcl_validation_collapse_index", T::gauge,
    "Mean cross-anatomy cosine of the validation split's distinct anatomy text embeddings (1 = collapsed)"};
inline constexpr MetricDefinition validation_recall{
    "cagcl_validation_recall", T::gauge,
    "Image-to-report retrieval Recall at K on the validation split, mean over anatomies", "k"};
// Throughput and where the time goes.
inline constexpr MetricDefinition samples{"cagcl_samples_total", T::counter,
                                          "Samples this rank consumed (restarts at 0 in a new process)"};
inline constexpr MetricDefinition throughput{"cagcl_throughput_samples_per_second", T::gauge,
                                             "Samples per second of this rank in its last step"};
inline constexpr MetricDefinition skipped_samples{"cagcl_skipped_samples_total", T::counter,
                                                  "Samples skipped by reason", "reason"};
inline constexpr MetricDefinition step_duration{"cagcl_step_duration_seconds", T::histogram,
                                                "Wall time of one optimizer step on this rank"};
inline constexpr MetricDefinition data_wait{"cagcl_data_wait_seconds", T::histogram,
                                            "Time per step blocked waiting for the data loader"};
inline constexpr MetricDefinition communication{"cagcl_communication_seconds", T::histogram,
                                                "Time per step blocked in collectives (gathers, gradient sync)"};
// Checkpoints.
inline constexpr MetricDefinition checkpoints{"cagcl_checkpoints_total", T::counter,
                                              "Checkpoint attempts by result (ok, failed)", "result"};
inline constexpr MetricDefinition checkpoint_duration{"cagcl_checkpoint_duration_seconds", T::gauge,
                                                      "Duration of the last successful checkpoint"};
inline constexpr MetricDefinition checkpoint_bytes{"cagcl_checkpoint_bytes", T::gauge,
                                                   "Bytes this rank wrote in the last successful checkpoint"};
inline constexpr MetricDefinition checkpoint_last_success{"cagcl_checkpoint_last_success_timestamp_seconds", T::gauge,
                                                          "Unix time of the last successful checkpoint"};
// Resources.
// kind="resident": the process's resident set (host memory), always; on a GPU also kind="cuda_allocated" (bytes
// in live tensors) and kind="cuda_reserved" (held by LibTorch's CUDA caching allocator: allocated plus cache).
inline constexpr MetricDefinition memory{
    "cagcl_memory_bytes", T::gauge,
    "Memory of this rank by kind (resident host memory; on a GPU also cuda_allocated and cuda_reserved)", "kind"};
inline constexpr MetricDefinition gpu_utilization{
    "cagcl_gpu_utilization_ratio", T::gauge,
    "Fraction of the last NVML sample period in which this rank's GPU ran a kernel (only where NVML is present)"};
}  // namespace metric

inline constexpr std::array kAllMetrics = {&metric::step,
                                           &metric::total_steps,
                                           &metric::epoch,
                                           &metric::last_step_time,
                                           &metric::start_time,
                                           &metric::restarts,
                                           &metric::world_size,
                                           &metric::loss,
                                           &metric::validation_loss,
                                           &metric::learning_rate,
                                           &metric::temperature,
                                           &metric::grad_norm,
                                           &metric::text_collapse_index,
                                           &metric::intact_instances,
                                           &metric::intact_instances_total,
                                           &metric::validation_zero_shot_auc,
                                           &metric::validation_zero_shot_auc_mean,
                                           &metric::validation_template_sd,
                                           &metric::validation_collapse_index,
                                           &metric::validation_recall,
                                           &metric::samples,
                                           &metric::throughput,
                                           &metric::skipped_samples,
                                           &metric::step_duration,
                                           &metric::data_wait,
                                           &metric::communication,
                                           &metric::checkpoints,
                                           &metric::checkpoint_duration,
                                           &metric::checkpoint_bytes,
                                           &metric::checkpoint_last_success,
                                           &metric::memory,
                                           &metric::gpu_utilization};

// Bucket upper bounds of the three duration histograms, in seconds: a CPU step of the tiny preset takes
// milliseconds, a GPU step of the base preset about a second, a stalled loader minutes.
inline constexpr std::array kDurationBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,   0.25, 0.5,
                                                1.0,   2.5,    5.0,   10.0, 25.0,  60.0, 120.0, 300.0};

}  // namespace cagcl::monitoring
