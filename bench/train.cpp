// Training throughput of a preset (default `small`) with a fixed global batch, where the step time goes (data
// wait, communication), checkpoint write speed next to a plain sequential write of the same bytes, and what a
// periodic checkpoint costs per step in the foreground and in the background:
//   mpirun --allow-run-as-root --oversubscribe -np 1 build/bench/train --data DIR [--synthesize 64] [--global-batch 4]
//   [--steps 8] mpirun --allow-run-as-root --oversubscribe -np 2 build/bench/train --data DIR [--synthesize 64]
//   [--global-batch 4] [--steps 8]
// Three runs of --steps steps each: A without periodic checkpoints (only the final one, in the foreground: its
// write speed is measured), B with a background checkpoint every 2 steps, C with a foreground one every 2 steps.
// The step time is the interval between consecutive step reports (so it includes checkpoint work), the first
// step excluded (warm-up). Prints a table and one JSON line (rank 0).
#include <torch/torch.h>

#include <fcntl.h>
#include <unistd.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <vector>

#include "comm/comm_options.hpp"
#include "comm/make_communicator.hpp"
#include "common/error.hpp"
#include "config/config.hpp"
#include "launch/commands/synth.hpp"
#include "launch/runtime.hpp"
#include "launch/training_assembly.hpp"
#include "trainer/trainer.hpp"

namespace {

using namespace cagcl;
using Clock = std::chrono::steady_clock;

struct Collector : trainer::TrainingObserver {
  std::vector<trainer::StepReport> steps;
  std::vector<double> intervals;  // seconds between consecutive step reports
  std::vector<trainer::CheckpointReport> checkpoints;
  Clock::time_point last{};
  void on_step(const trainer::StepReport& r) override {
    const auto now = Clock::now();
    if (!steps.empty()) intervals.push_back(std::chrono::duration<double>(now - last).count());
    last = now;
    steps.push_back(r);
  }
  void on_checkpoint(const trainer::CheckpointReport& r) override { checkpoints.push_back(r); }
};

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / static_cast<double>(v.size());
}

// One write() of `bytes` bytes and an fsync: the plain sequential write a checkpoint is compared with.
double plain_write_seconds(const std::filesystem::path& path, size_t bytes) {
  std::vector<char> buffer(bytes, 'x');
  const auto start = Clock::now();
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) throw IoError(path.string() + ": cannot create");
  size_t done = 0;
  while (done < bytes) {
    const ssize_t n = ::write(fd, buffer.data() + done, bytes - done);
    if (n <= 0) throw IoError(path.string() + ": write failed");
    done += static_cast<size_t>(n);
  }
  ::fsync(fd);
  ::close(fd);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::filesystem::remove(path);
  return seconds;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Training throughput, step-time shares and checkpoint cost", "train"};
  std::string config_source = "small", data_dir, out = "/tmp/cagcl-bench-train";
  std::vector<std::string> overrides;
  int64_t global_batch = 4, steps = 8, synthesize = 0;
  app.add_option("--config", config_source, "preset or YAML file")->capture_default_str();
  app.add_option("--set", overrides, "override a key (repeatable)");
  app.add_option("--data", data_dir, "dataset directory")->required();
  app.add_option("--synthesize", synthesize, "write N phantoms of the config's synth.size first when missing");
  app.add_option("--global-batch", global_batch, "samples per step over all ranks (per rank: / ranks)")
      ->capture_default_str();
  app.add_option("--steps", steps, "steps per run (3 runs)")->check(CLI::Range(3, 100000))->capture_default_str();
  app.add_option("--out", out, "scratch directory for the runs (emptied first)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  Runtime runtime(&argc, &argv);
  return runtime.run_or_abort([&]() -> int {
    const int world = runtime.world_size(), rank = runtime.rank();
    if (global_batch % world != 0)
      throw UsageError("--global-batch " + std::to_string(global_batch) + ": not a multiple of the " +
                       std::to_string(world) + " ranks");
    overrides.push_back("train.batch_size=" + std::to_string(global_batch / world));
    overrides.push_back("train.steps=" + std::to_string(steps));
    overrides.push_back("train.val_every=0");
    overrides.push_back("train.val_zero_shot=false");  // the bench times training, not the end-of-run scoring
    overrides.push_back("monitoring.port_base=0");
    overrides.push_back("train.log_every=1000000");
    overrides.push_back("data.verify_checksums=false");
    overrides.push_back("data.dir=\"" + data_dir + "\"");
    const Config base = load_config(config_source, overrides);
    auto comm = make_communicator(runtime.device(), comm_options(base.comm));
    if (rank == 0) {
      std::filesystem::remove_all(out);
      std::filesystem::create_directories(out);
      if (synthesize > 0 && !std::filesystem::exists(std::filesystem::path(data_dir) / "dataset.json")) {
        SynthOptions s;
        s.out = data_dir;
        s.volumes = synthesize;
        s.shards = 2;
        s.size = std::to_string(base.synth.size[0]) + "x" + std::to_string(base.synth.size[1]) + "x" +
                 std::to_string(base.synth.size[2]);
        run_synth(s);
      }
    }
    comm->barrier();

    trainer::TrainerEnvironment env;
    env.device = runtime.device();
    env.local_rank = runtime.local_rank();
    auto run = [&](const std::string& name, int64_t checkpoint_every, bool background) {
      Config config = base;
      config.train.checkpoint_every = checkpoint_every;
      trainer::TrainerOptions o;
      o.config = config;
      o.data_dir = data_dir;
      o.run_dir = std::filesystem::path(out) / name;
      o.background_checkpoints = background;
      o.metrics_log = false;
      o.progress_log = false;
      auto collector = std::make_shared<Collector>();
      auto parts = assemble_training(o, env, comm);
      parts.observers.push_back(collector);
      trainer::Trainer(o, env, std::move(parts)).run();
      return collector;
    };
    const auto a = run("a_final_only", 0, false);
    const auto b = run("b_background_every_2", 2, true);
    const auto c = run("c_foreground_every_2", 2, false);

    // Step-time shares and throughput from run A (first step excluded).
    double step_s = 0, data_s = 0, comm_s = 0;
    int64_t samples = 0;
    for (size_t i = 1; i < a->steps.size(); ++i) {
      step_s += a->steps[i].step_seconds;
      data_s += a->steps[i].data_wait_seconds;
      comm_s += a->steps[i].comm_seconds;
      samples += a->steps[i].global_samples;
    }
    // Checkpoint write: all ranks' bytes over the slowest rank's time; the plain write of the same bytes likewise.
    const auto& final_save = a->checkpoints.back();
    auto sums = torch::tensor({final_save.bytes, final_save.seconds, step_s, data_s, comm_s}, torch::kDouble);
    comm->barrier();
    const double plain_s = plain_write_seconds(std::filesystem::path(out) / ("plain-" + std::to_string(rank)),
                                               static_cast<size_t>(final_save.bytes));
    auto maxima = torch::tensor({final_save.seconds, plain_s, step_s}, torch::kDouble);
    comm->all_reduce(sums, ReduceOp::sum);
    comm->all_reduce(maxima, ReduceOp::max);
    if (rank == 0) {
      const double bytes = sums[0].item<double>();
      const double ckpt_s = maxima[0].item<double>(), plain = maxima[1].item<double>();
      const double step_time = maxima[2].item<double>() / static_cast<double>(a->steps.size() - 1);
      const double rate = static_cast<double>(samples) / maxima[2].item<double>();
      const double data_share = sums[3].item<double>() / sums[2].item<double>();
      const double comm_share = sums[4].item<double>() / sums[2].item<double>();
      const double interval_a = mean(a->intervals), interval_b = mean(b->intervals), interval_c = mean(c->intervals);
      std::printf("cagcl train bench: config %s, %d rank(s) x batch %lld = global batch %lld, %lld steps per run, %s\n",
                  config_source.c_str(), world, static_cast<long long>(global_batch / world),
                  static_cast<long long>(global_batch), static_cast<long long>(steps), runtime.device().str().c_str());
      std::printf("| metric | value |\n|---|---|\n");
      std::printf("| step time (s) | %.3f |\n| samples/s | %.2f |\n", step_time, rate);
      std::printf("| data wait share of step | %.1f %% |\n| comm share of step | %.1f %% |\n", 100 * data_share,
                  100 * comm_share);
      std::printf("| checkpoint size (MB, all ranks) | %.1f |\n", bytes / 1e6);
      std::printf("| checkpoint write (MB/s) | %.1f |\n| plain sequential write (MB/s) | %.1f |\n",
                  bytes / 1e6 / ckpt_s, bytes / 1e6 / plain);
      std::printf("| step interval, no periodic save (s) | %.3f |\n", interval_a);
      std::printf("| step interval, background save every 2 (s) | %.3f (%+.1f %%) |\n", interval_b,
                  100 * (interval_b / interval_a - 1));
      std::printf("| step interval, foreground save every 2 (s) | %.3f (%+.1f %%) |\n", interval_c,
                  100 * (interval_c / interval_a - 1));
      nlohmann::json j = {{"bench", "train"},
                          {"config", config_source},
                          {"ranks", world},
                          {"global_batch", global_batch},
                          {"steps", steps},
                          {"step_seconds", step_time},
                          {"samples_per_second", rate},
                          {"data_wait_share", data_share},
                          {"comm_share", comm_share},
                          {"checkpoint_bytes", bytes},
                          {"checkpoint_mb_per_s", bytes / 1e6 / ckpt_s},
                          {"plain_write_mb_per_s", bytes / 1e6 / plain},
                          {"interval_no_save_s", interval_a},
                          {"interval_background_save_s", interval_b},
                          {"interval_foreground_save_s", interval_c}};
      std::printf("%s\n", j.dump().c_str());
    }
    return 0;
  });
}
