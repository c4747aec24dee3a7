// `cagcl train`: the distributed training run (docs/training.md). Under `mpirun -np N` (or `srun --mpi=pmix`)
// every rank runs this; without a launcher it runs as a single rank. With no arguments it is the embedded demo:
// the `small` preset on the CPU, its synthetic dataset written first when missing.
#include <spdlog/spdlog.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>

#include "comm/comm_options.hpp"
#include "comm/make_communicator.hpp"
#include "common/error.hpp"
#include "config/config.hpp"
#include "eval/training_curves.hpp"
#include "launch/commands/command.hpp"
#include "launch/commands/synth.hpp"
#include "launch/runtime.hpp"
#include "launch/training_assembly.hpp"
#include "trainer/stop_signal.hpp"
#include "trainer/trainer.hpp"

namespace cagcl {
namespace {

struct TrainCommandOptions {
  std::string config = "small";
  std::vector<std::string> overrides;
  std::string data;
  std::string out;
  std::string resume;
  int64_t steps = 0;
  int64_t stop_after_steps = 0;
  int64_t checkpoint_every = -1;
  int metrics_port = -1;  // -1: the config's monitoring.port_base
  bool requeue = false;
  bool background_checkpoints = false;
  bool no_plots = false;
  bool demo = false;  // no argument at all
};

std::string run_name_of(const std::string& config_source) {
  return std::filesystem::path(config_source).stem().string();
}

// Rank 0 writes the synthetic dataset of the config's synth section; the others wait at the barrier.
void synthesize_if_missing(const Config& config, const std::filesystem::path& dir, Communicator& comm) {
  if (std::filesystem::exists(dir / "dataset.json")) return;
  if (comm.rank() == 0) {
    spdlog::info("demo: no dataset in {}; synthesising {} phantoms first (synth.* keys)", dir.string(),
                 config.synth.volumes);
    SynthOptions s;
    s.out = dir.string();
    s.volumes = config.synth.volumes;
    s.shards = config.synth.shards;
    s.seed = config.synth.seed;
    s.valid_fraction = config.synth.valid_fraction;
    s.test_fraction = config.synth.test_fraction;
    s.size = std::to_string(config.synth.size[0]) + "x" + std::to_string(config.synth.size[1]) + "x" +
             std::to_string(config.synth.size[2]);
    run_synth(s);
  }
  comm.barrier();
}

// RUN/training_curves.png from RUN/metrics.jsonl (rank 0, after the last checkpoint). A picture must never fail a
// run whose checkpoint is committed: without Python or matplotlib this is a warning.
void draw_training_curves(const std::filesystem::path& run_dir) {
  eval::TrainingCurvesRequest request;
  request.metrics = run_dir / "metrics.jsonl";
  request.png = run_dir / "training_curves.png";
  request.script = run_dir / "plot_training_curves.py";
  request.log = run_dir / "training_curves.log";
  try {
    const auto curves = eval::draw_training_curves(request);
    if (curves.made)
      spdlog::info("train: {}", curves.summary);
    else
      spdlog::warn(
          "train: no training-curves picture: {}. Install python3-matplotlib (or set CAGCL_PYTHON), then "
          "run: python3 {} {} {}",
          curves.error, request.script.string(), request.metrics.string(), request.png.string());
  } catch (const std::exception& e) {
    spdlog::warn("train: no training-curves picture: {}", e.what());
  }
}

int run_train(const TrainCommandOptions& o) {
  std::vector<std::string> overrides = o.overrides;
  if (o.steps < 0) throw UsageError("--steps " + std::to_string(o.steps) + ": must be >= 1");
  if (o.stop_after_steps < 0)
    throw UsageError("--stop-after-steps " + std::to_string(o.stop_after_steps) + ": must be >= 1");
  if (o.metrics_port < -1 || o.metrics_port > 65535)
    throw UsageError("--metrics-port " + std::to_string(o.metrics_port) + ": must be in [0, 65535]");
  if (o.metrics_port >= 0) overrides.push_back("monitoring.port_base=" + std::to_string(o.metrics_port));
  if (o.steps > 0) overrides.push_back("train.steps=" + std::to_string(o.steps));
  if (o.checkpoint_every >= 0) overrides.push_back("train.checkpoint_every=" + std::to_string(o.checkpoint_every));
  if (!o.data.empty()) overrides.push_back("data.dir=\"" + o.data + "\"");
  const Config config = load_config(o.config, overrides);

  RuntimeOptions runtime_options;
  runtime_options.allow_cuda = !o.demo;  // the demo is the CPU demo
  Runtime runtime(nullptr, nullptr, runtime_options);
  return runtime.run_or_abort([&]() -> int {
    trainer::StopHandlerScope stop_handlers;  // from the start: a SIGUSR1 while the dataset opens must not kill the job
    spdlog::info("{}", runtime.describe());
    auto comm = make_communicator(runtime.device(), comm_options(config.comm));

    trainer::TrainerOptions options;
    options.config = config;
    options.data_dir = config.data.dir;
    options.run_dir =
        o.out.empty() ? std::filesystem::path("runs") / run_name_of(o.config) : std::filesystem::path(o.out);
    options.resume = o.demo ? "auto" : o.resume;  // running the demo again continues (or reports) its run
    options.stop_after_steps = o.stop_after_steps;
    options.requeue = o.requeue;
    options.background_checkpoints = o.background_checkpoints;
    if (o.demo) synthesize_if_missing(config, options.data_dir, *comm);

    trainer::TrainerEnvironment environment;
    environment.device = runtime.device();
    environment.local_rank = runtime.local_rank();
    if (runtime.slurm()) {
      environment.job_id = runtime.slurm()->job_id;
      environment.slurm_restarts = std::atoll(runtime.slurm()->restart_count.c_str());
    }

    trainer::Trainer trainer(options, environment, assemble_training(options, environment, comm));
    const auto result = trainer.run();
    if (comm->rank() == 0) {
      if (!std::isnan(result.validation_loss))
        std::cout << "validation loss: " << result.validation_loss << " (step " << result.step << ")\n";
      if (!result.losses.empty())
        std::cout << "train loss: " << result.first_loss << " at the first step of this invocation, "
                  << result.last_loss << " at step " << result.step << "\n";
      if (!result.checkpoint.empty()) std::cout << "checkpoint: " << result.checkpoint << "\n";
      std::cout.flush();
      // Only a finished run: a stopped one has a signal's grace period to exit in, and resumes anyway.
      if (result.finished && !o.no_plots && options.metrics_log) draw_training_curves(options.run_dir);
      if (!result.finished)
        spdlog::warn("train: stopped at step {} (exit code {}); continue with --resume auto --out {}", result.step,
                     static_cast<int>(ExitCode::stopped), options.run_dir.string());
    }
    return static_cast<int>(result.finished ? ExitCode::ok : ExitCode::stopped);
  });
}

}  // namespace

int& command_exit_code() {
  static int code = 0;
  return code;
}

Command add_train_command(CLI::App& app) {
  auto o = std::make_shared<TrainCommandOptions>();
  auto* cmd = app.add_subcommand(
      "train",
      "Train CA-GCL data-parallel (under mpirun / srun: one rank per process). With no arguments: the CPU demo "
      "(`small` preset, synthetic data written first when missing, run dir runs/small, resumed when it exists)");
  add_config_options(*cmd, o->config, o->overrides);
  cmd->add_option("--data", o->data, "dataset directory (default: the config's data.dir)");
  cmd->add_option("--out", o->out,
                  "run directory: config.yaml, checkpoints/, metrics.jsonl (default: runs/<config name>)");
  cmd->add_option(
      "--resume", o->resume,
      "auto: continue from the run's newest good checkpoint (none: start fresh); or a run or step directory");
  cmd->add_option("--steps", o->steps, "schedule length in optimizer steps (overrides train.steps)");
  cmd->add_option("--stop-after-steps", o->stop_after_steps,
                  "end this invocation after K steps with a checkpoint and exit code 5, as a stop signal would");
  cmd->add_option("--checkpoint-every", o->checkpoint_every,
                  "steps between checkpoints (overrides train.checkpoint_every)");
  cmd->add_option("--metrics-port", o->metrics_port,
                  "Prometheus metrics port of local rank 0 (local rank r: P + r; sets monitoring.port_base); 0 = off");
  cmd->add_flag("--requeue", o->requeue,
                "on SIGUSR1/SIGTERM: checkpoint, then run `scontrol requeue $SLURM_JOB_ID` (rank 0) and exit 5");
  cmd->add_flag("--background-checkpoints", o->background_checkpoints,
                "write periodic checkpoints on a thread while training goes on; committed at a later step boundary");
  cmd->add_flag("--no-plots", o->no_plots,
                "do not draw RUN/training_curves.png at the end (drawn with python3-matplotlib; $CAGCL_PYTHON)");
  return {cmd, [o, cmd] {
            const auto given = cmd->get_options([](const CLI::Option* option) { return option->count() > 0; });
            o->demo = given.empty();
            command_exit_code() = run_train(*o);
          }};
}

}  // namespace cagcl
