#pragma once
// The training run of one rank (docs/training.md): data loader -> CagclModel -> intact instances -> CA-GCL
// loss (gathers across ranks) -> backward -> gradient sync + AdamW (or ZeRO-1) -> schedule, clipping,
// accumulation; validation loss (and, when set, live zero-shot scoring: trainer/live_validation.hpp),
// checkpoints, resume, stop on signal or after K steps. Every rank runs the same
// Trainer with its own communicator; the collectives are issued in the same order on every rank.
//
// Determinism: the batches are a pure function of (seed, sampler position) (data/), the model is initialised
// from train.seed on every rank and broadcast from rank 0, each rank's torch generator is seeded from
// (train.seed, rank) and saved in checkpoints. So a run stopped and resumed at the same world size repeats the
// uninterrupted run bit for bit; at another world size, the same samples in the same order (the sampler's
// position is global) with float-rounding differences in the reductions.
#include <torch/torch.h>

#include <filesystem>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "comm/communicator.hpp"
#include "launch/config.hpp"
#include "trainer/training_observer.hpp"

namespace cagcl::trainer {

class LiveValidation;  // trainer/live_validation.hpp

struct TrainerOptions {
  Config config;                    // resolved (preset, file, --set, --steps, --checkpoint-every applied)
  std::filesystem::path data_dir;   // dataset directory
  std::filesystem::path run_dir;    // RUN: config.yaml, checkpoints/, metrics.jsonl
  std::string resume;               // "" (fresh; refuses a run dir that has checkpoints), "auto", or a path
  int64_t stop_after_steps = 0;     // > 0: stop this invocation after that many steps (checkpoint, ExitCode::stopped)
  bool requeue = false;             // on SIGUSR1/SIGTERM, rank 0 runs `scontrol requeue $SLURM_JOB_ID`
  bool background_checkpoints = false;  // write checkpoints on a thread, commit at a later step boundary
  bool metrics_log = true;          // RUN/metrics.jsonl on rank 0
  bool progress_log = true;         // progress lines on rank 0
};

// Where this rank runs (from launch/runtime.hpp's Runtime; tests fill it by hand).
struct TrainerEnvironment {
  torch::Device device = torch::kCPU;
  int local_rank = 0;
  std::string job_id;         // SLURM_JOB_ID or ""
  int64_t slurm_restarts = 0; // SLURM_RESTART_COUNT
};

struct TrainResult {
  bool finished = false;  // the schedule is complete (else: stopped early, checkpoint written)
  int stop_signal = 0;    // SIGUSR1 / SIGTERM that stopped it, 0 otherwise
  int64_t step = 0;       // optimizer steps completed (whole run)
  double last_loss = std::numeric_limits<double>::quiet_NaN();
  double first_loss = std::numeric_limits<double>::quiet_NaN();  // of this invocation
  double validation_loss = std::numeric_limits<double>::quiet_NaN();  // last validation pass, NaN when none
  std::vector<double> losses;  // global loss of every step of this invocation
  std::string checkpoint;      // the step directory committed last, "" when none
};

class Trainer {
 public:
  Trainer(TrainerOptions options, TrainerEnvironment environment, std::shared_ptr<Communicator> comm);
  ~Trainer();
  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  // Receivers of the reports; the built-in ones (metrics log, progress) are added by run() per the options.
  void add_observer(std::shared_ptr<TrainingObserver> observer);
  // Scores the validation split zero-shot after each validation-loss pass (none: loss only); its figures go
  // into ValidationReport::zero_shot.
  void set_live_validation(std::shared_ptr<LiveValidation> live);
  TrainResult run();

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace cagcl::trainer
