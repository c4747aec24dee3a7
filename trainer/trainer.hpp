#pragma once
// The training run of one rank (docs/training.md). The command assembles the parts (launch/training_assembly.hpp:
// data, model, optimizer, schedule, checkpoint store, observers) and hands them over; run() is a loop over
// named steps:
//
//   restore     the resume rules: fresh, --resume auto, or a checkpoint; steps after it set aside
//   start       RUN/config.yaml, the invocation number, the observers' on_start
//   train_step  accumulation x (loader -> forward -> CA-GCL loss -> backward), optimizer step, one all-reduce
//               at the boundary (global loss, stop flag, bad samples, collapse index, intact instances)
//   validate    validation loss (and live zero-shot scoring: trainer/live_validation.hpp) when due
//   checkpoint  when due, at the stop, and at the end (one background save in flight at most)
//   stop        a signal on any rank, or --stop-after-steps; then finish (and Slurm requeue)
//
// Every rank runs the same Trainer with its own communicator; the collectives are issued in the same order on
// every rank. Determinism: the batches are a pure function of (seed, sampler position) (data/), the model is
// initialised from train.seed on every rank and broadcast from rank 0, each rank's torch generator is seeded
// from (train.seed, rank) and saved in checkpoints. So a run stopped and resumed at the same world size repeats
// the uninterrupted run bit for bit; at another world size, the same samples in the same order (the sampler's
// position is global) with float-rounding differences in the reductions.
#include <torch/torch.h>

#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "data/loader.hpp"
#include "data/sampler.hpp"
#include "model/cagcl_model.hpp"
#include "trainer/checkpoint_store.hpp"
#include "trainer/live_validation.hpp"
#include "trainer/lr_schedule.hpp"
#include "trainer/optimizer.hpp"
#include "trainer/run_directory_lock.hpp"
#include "trainer/timed_communicator.hpp"
#include "trainer/training_observer.hpp"

namespace cagcl::trainer {

struct TrainerOptions {
  Config config;                   // resolved (preset, file, --set, --steps, --checkpoint-every applied)
  std::filesystem::path data_dir;  // dataset directory
  std::filesystem::path run_dir;   // RUN: config.yaml, checkpoints/, metrics.jsonl
  std::string resume;              // "" (fresh; refuses a run dir that has checkpoints), "auto", or a path
  int64_t stop_after_steps = 0;    // > 0: stop this invocation after that many steps (checkpoint, ExitCode::stopped)
  bool requeue = false;            // on SIGUSR1/SIGTERM, rank 0 runs `scontrol requeue $SLURM_JOB_ID`
  bool background_checkpoints = false;  // write checkpoints on a thread, commit at a later step boundary
  bool metrics_log = true;              // RUN/metrics.jsonl on rank 0
  bool progress_log = true;             // progress lines on rank 0
};

// Where this rank runs (from launch/runtime.hpp's Runtime; tests fill it by hand).
struct TrainerEnvironment {
  torch::Device device = torch::kCPU;
  int local_rank = 0;
  std::string job_id;          // SLURM_JOB_ID or ""
  int64_t slurm_restarts = 0;  // SLURM_RESTART_COUNT
};

struct TrainResult {
  bool finished = false;  // the schedule is complete (else: stopped early, checkpoint written)
  int stop_signal = 0;    // SIGUSR1 / SIGTERM that stopped it, 0 otherwise
  int64_t step = 0;       // optimizer steps completed (whole run)
  double last_loss = std::numeric_limits<double>::quiet_NaN();
  double first_loss = std::numeric_limits<double>::quiet_NaN();       // of this invocation
  double validation_loss = std::numeric_limits<double>::quiet_NaN();  // last validation pass, NaN when none
  std::vector<double> losses;                                         // global loss of every step of this invocation
  std::string checkpoint;                                             // the step directory committed last, "" when none
};

// One split's samples as a loader reads them: position i of the split -> its sample.
struct SplitData {
  data::SampleSource source;
  data::SamplerOptions sampler;  // training: seeded shuffle, drop_last; validation: in order, padded
  data::LoaderOptions loader;
};

// What the Trainer trains, assembled by the command (or a test). Every rank holds the same model.
struct TrainingParts {
  std::shared_ptr<TimedCommunicator> comm;  // every collective of the run goes through it (communication time)
  SplitData train;
  std::optional<SplitData> valid;  // none: no validation split, no validation
  data::TextPipeline text;
  model::CagclModel model{nullptr};             // on the device, broadcast from rank 0
  std::vector<NamedParameter> params, buffers;  // the model's, by name (checkpoints, resume)
  std::unique_ptr<DataParallelOptimizer> optimizer;
  LrScheduleOptions schedule;  // its total_steps is the run's length
  std::unique_ptr<CheckpointStore> store;
  std::vector<std::shared_ptr<TrainingObserver>> observers;
  std::shared_ptr<LiveValidation> live_validation;   // null: validation loss only
  std::shared_ptr<const RunDirectoryLock> run_lock;  // rank 0: RUN/.lock, held while the Trainer lives
};

class Trainer {
 public:
  Trainer(TrainerOptions options, TrainerEnvironment environment, TrainingParts parts);
  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  TrainResult run();

 private:
  struct Boundary {  // the step's all-reduced figures
    StepReport report;
    int stop_ranks = 0, stop_signal = 0;
  };
  void restore();
  void load(const std::string& checkpoint);
  void start();
  Boundary train_step(data::Loader& loader);
  void validate();
  bool validation_due() const;
  void checkpoint(bool stopping);
  bool stop(const Boundary& boundary);
  TrainResult finish();
  CheckpointSnapshot snapshot() const;
  void report_checkpoint(const CheckpointReport& report);

  TrainerOptions o_;
  TrainerEnvironment env_;
  TrainingParts p_;
  int rank_ = 0, world_ = 1;
  LrSchedule schedule_;
  int64_t total_steps_ = 0;
  std::string config_yaml_;
  // Where the run stands.
  int64_t step_ = 0, position_ = 0, epoch_ = 0, restarts_ = 0, invocation_ = 0, invocation_steps_ = 0;
  int64_t last_saved_ = -1;  // the step of the newest checkpoint this invocation wrote or resumed from
  TrainResult result_;
};

}  // namespace cagcl::trainer
