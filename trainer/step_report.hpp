#pragma once
// What the trainer reports, on every rank: it fills these, and the JSON-lines metrics log and the Prometheus
// exporter (monitoring/) read them. Plain numbers, so that monitoring compiles without torch.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cagcl::trainer {

// Once per optimizer step.
struct StepReport {
  int64_t step = 0;         // optimizer steps completed, counting from the start of the run (not the invocation)
  int64_t total_steps = 0;  // the schedule's length
  int64_t epoch = 0;
  double loss_total = 0;  // loss of the global batch (identical on every rank)
  double loss_local = 0;
  double loss_global = 0;
  double lr = 0;
  double tau_local = 0;
  double tau_global = 0;
  double grad_norm = 0;            // global gradient norm before clipping
  int64_t samples = 0;             // samples this rank consumed in this step (all micro-batches)
  int64_t global_samples = 0;      // samples the whole job consumed in this step
  double step_seconds = 0;         // wall time of the step on this rank
  double data_wait_seconds = 0;    // time blocked waiting for the loader
  double comm_seconds = 0;         // time blocked in collectives (embedding gathers, gradient sync waits)
  double text_collapse_index = 0;  // mean cross-anatomy cosine of the batch's text embeddings
  int64_t bad_samples = 0;         // samples skipped as unreadable while making this step's batches
  double memory_bytes = 0;         // resident set of this rank's process (host memory), on a GPU too
  // On a GPU (LibTorch with CUDA): the CUDA caching allocator's bytes in live tensors (allocated) and held from
  // the driver (reserved: allocated plus its cache, what the device cannot give to another process). Absent on
  // the CPU.
  std::optional<double> cuda_allocated_bytes = std::nullopt;
  std::optional<double> cuda_reserved_bytes = std::nullopt;
  // On a GPU where NVML (the driver's libnvidia-ml.so.1) is present: the fraction of NVML's last sample period
  // in which the GPU ran a kernel, in [0, 1]. Absent elsewhere.
  std::optional<double> gpu_utilization = std::nullopt;
  // Intact (sample, anatomy) instances of the global batch (all ranks, all micro-batches), one per
  // RunInfo::anatomies entry: an anatomy takes part in the losses only where it is intact.
  std::vector<int64_t> intact_instances;
};

// Live zero-shot scoring of the validation split (trainer/live_validation.hpp, docs/training.md), the same on
// every rank. Figures are fractions in [0, 1] (cosines in [-1, 1]); NaN where undefined (e.g. no abnormal
// instance to retrieve with).
struct ZeroShotFigures {
  std::vector<std::string> families;  // template family names (eval's built-in families)
  std::vector<double> macro_auc;      // fvlm16 macro AUC per family, in `families` order
  double macro_auc_mean = 0;          // mean over the families
  double template_sd = 0;             // population SD of the family macro AUCs
  double collapse_index = 0;          // mean cross-anatomy cosine of the split's distinct anatomy texts
  double recall_at_1 = 0, recall_at_5 = 0, recall_at_10 = 0;  // image->report, mean over anatomies
  double seconds = 0;                                         // wall time of the scoring on this rank
};

// After each validation pass.
struct ValidationReport {
  int64_t step = 0;
  double loss_total = 0;
  double loss_local = 0;
  double loss_global = 0;
  std::optional<ZeroShotFigures> zero_shot = std::nullopt;  // absent when live zero-shot scoring is off
};

// After each checkpoint attempt.
struct CheckpointReport {
  int64_t step = 0;
  bool ok = false;
  double seconds = 0;    // from the start of the save to the LATEST pointer's commit
  double bytes = 0;      // bytes this rank wrote
  double unix_time = 0;  // when it committed
};

// Once at start-up.
struct RunInfo {
  std::string run;     // run name (the run dir's base name)
  std::string job_id;  // SLURM_JOB_ID, or "" outside Slurm
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  int64_t restarts = 0;  // how often this run was resumed (SLURM_RESTART_COUNT or resume count)
  // Which `cagcl train` invocation on this run directory this is: 1 for a fresh run directory, +1 per later
  // invocation (trainer/invocation_counter.hpp); every metrics.jsonl line carries it. The same on every rank.
  int64_t invocation = 1;
  std::vector<std::string> anatomies;  // config.data.anatomies: the names of StepReport::intact_instances
};

}  // namespace cagcl::trainer
