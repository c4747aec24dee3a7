#include "trainer/trainer.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>

#include "common/error.hpp"
#include "config/config.hpp"
#include "model/text_collapse.hpp"
#include "trainer/collective_strings.hpp"
#include "trainer/config_compatibility.hpp"
#include "trainer/invocation_counter.hpp"
#include "trainer/stop_signal.hpp"
#include "trainer/training_steps.hpp"

namespace cagcl::trainer {
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

}  // namespace

Trainer::Trainer(TrainerOptions options, TrainerEnvironment environment, TrainingParts parts)
    : o_(std::move(options)),
      env_(std::move(environment)),
      p_(std::move(parts)),
      schedule_(p_.schedule),
      total_steps_(p_.schedule.total_steps) {
  if (!p_.comm || !p_.model || !p_.optimizer || !p_.store) throw Error("trainer: a part is missing");
  rank_ = p_.comm->rank();
  world_ = p_.comm->size();
  config_yaml_ = to_yaml(o_.config);
}

TrainResult Trainer::run() {
  StopHandlerScope stop_handlers;
  restore();
  start();
  if (step_ >= total_steps_) {
    if (rank_ == 0) spdlog::info("train: the run is already complete ({} of {} steps)", step_, total_steps_);
    validate();
    return finish();
  }
  // The loss of the initial model: the baseline later validation losses are read against. It draws no random
  // numbers (centre crops, no text augmentation, eval mode), so it does not change the run.
  if (step_ == 0 && o_.config.train.val_every > 0) validate();

  data::Loader loader(p_.train.source, data::Sampler(p_.train.sampler), position_, p_.train.loader, p_.text);
  p_.model->train();
  bool stopping = false;
  while (step_ < total_steps_ && !stopping) {
    const auto boundary = train_step(loader);
    stopping = stop(boundary);
    if (validation_due()) validate();
    checkpoint(stopping);
  }
  if (auto committed = p_.store->finish()) report_checkpoint(*committed);
  if (step_ >= total_steps_ && !validation_due()) validate();
  return finish();
}

// ---- restore: the resume rules ----
void Trainer::restore() {
  const fs::path checkpoints = o_.run_dir / "checkpoints";
  const bool has_checkpoints = fs::exists(checkpoints / kLatestFileName);
  if (o_.resume.empty() && has_checkpoints)
    throw UsageError("--out " + o_.run_dir.string() + ": the run already has checkpoints; pass --resume auto to " +
                     "continue it, or choose another --out");
  restarts_ = env_.slurm_restarts;
  torch::manual_seed(rank_seed(o_.config.train.seed, rank_));
  std::string chosen;
  if (!o_.resume.empty()) {
    chosen = broadcast_string_from(*p_.comm, 0, [&]() -> std::string {
      if (o_.resume != "auto") return resolve_checkpoint(o_.resume);
      if (has_checkpoints) return resolve_checkpoint(o_.run_dir.string());
      spdlog::info("--resume auto: {} has no checkpoint yet; starting from step 0", o_.run_dir.string());
      return "";
    });
  }
  if (chosen.empty()) return;
  std::error_code ec;
  const bool own_checkpoint = fs::equivalent(fs::path(chosen).parent_path(), checkpoints, ec);
  // Training on from another run's step would save over this run's committed steps of the same numbers.
  if (!own_checkpoint && has_checkpoints)
    throw UsageError("--resume " + chosen + ": --out " + o_.run_dir.string() +
                     " has committed checkpoints of its own, which continuing another run there would replace; " +
                     "choose a fresh --out, or pass --resume auto to continue " + o_.run_dir.string());
  load(chosen);
  if (rank_ == 0 && own_checkpoint)
    for (const auto& moved : set_aside_checkpoints_after(checkpoints, step_))
      spdlog::warn("resume: set aside {} (newer than the checkpoint resumed from; its steps are trained again)",
                   moved.string());
  last_saved_ = step_;
  result_.checkpoint = chosen;
}

// The model, optimizer state, sampler position and generator states of one checkpoint.
void Trainer::load(const std::string& chosen) {
  const auto loaded = load_checkpoint(chosen);
  const auto& m = loaded.manifest;
  const auto others = check_resume_compatible(m.config_yaml, config_yaml_, chosen);
  if (rank_ == 0)
    for (const auto& d : others) spdlog::info("resume: {} was {} and is now {}", d.key, d.saved, d.current);
  torch::NoGradGuard no_grad;
  for (auto* list : {&p_.params, &p_.buffers})
    for (auto& p : *list) {
      auto it = loaded.model.find(p.name);
      if (it == loaded.model.end())
        throw DataError(chosen + "/" + kModelFileName + ": tensor '" + p.name + "' is missing");
      if (it->second.sizes() != p.tensor.sizes())
        throw UsageError("--resume " + chosen + ": tensor '" + p.name + "' has shape " + c10::str(it->second.sizes()) +
                         " in the checkpoint, " + c10::str(p.tensor.sizes()) + " now");
      p.tensor.detach().copy_(it->second);
    }
  std::map<std::string, int64_t> numels;
  for (const auto& p : p_.params)
    if (p.tensor.requires_grad()) numels[p.name] = p.tensor.numel();
  p_.optimizer->load_state(assemble_state(m.step, loaded.optimizer, numels, chosen));
  step_ = m.step;
  position_ = m.sampler_position;
  restarts_ = std::max(restarts_, m.restarts + 1);
  const std::string where = chosen + ": ranks[" + std::to_string(rank_) + "]";
  if (m.world_size == world_) {
    set_generator_state(torch::kCPU, m.ranks[rank_].cpu_rng, where + ".cpu_rng");
    if (env_.device.is_cuda() && !m.ranks[rank_].cuda_rng.empty())
      set_generator_state(env_.device, m.ranks[rank_].cuda_rng, where + ".cuda_rng");
  } else {
    torch::manual_seed(rank_seed(o_.config.train.seed, rank_, step_));
    if (rank_ == 0)
      spdlog::info("resume: world size {} -> {}: optimizer state resharded, sampler continues at global position {}",
                   m.world_size, world_, position_);
  }
  if (rank_ == 0)
    spdlog::info("resumed from {} (step {}, sampler position {}, epoch {})", chosen, step_, position_, m.epoch);
}

// ---- start: what the run directory records of this invocation, and the observers ----
void Trainer::start() {
  const auto& train = o_.config.train;
  if (train.precision == "bf16" && env_.device.is_cpu())
    spdlog::warn(
        "train.precision bf16 on the CPU: LibTorch's CPU autocast runs matrix products in bfloat16; "
        "without AVX512-BF16/AMX it is usually slower than fp32 and only useful to test bf16 numerics");
  int64_t invocation = 0;
  if (rank_ == 0) {
    save_config(o_.config, o_.run_dir / "config.yaml");  // after restore: a refused resume changes nothing
    invocation = next_invocation(o_.run_dir);            // before the first metrics line, which carries it
    int64_t num_params = 0;
    for (const auto& p : p_.params) num_params += p.tensor.numel();
    const auto steps_per_epoch = data::Sampler(p_.train.sampler).steps_per_epoch() / train.accumulation;
    spdlog::info(
        "train: {} parameters, {} train / {} valid samples, {} ranks x batch {} x accumulation {} = {} per "
        "step, {} steps ({} per epoch), {}{}",
        num_params, p_.train.sampler.num_samples, p_.valid ? p_.valid->sampler.num_samples : 0, world_,
        train.batch_size, train.accumulation, world_ * train.batch_size * train.accumulation, total_steps_,
        steps_per_epoch, train.zero1 ? "ZeRO-1 AdamW" : "AdamW", train.precision == "bf16" ? ", bf16 autocast" : "");
  }
  RunInfo info;
  info.run = o_.run_dir.filename().string();
  info.job_id = env_.job_id;
  info.rank = rank_;
  info.world_size = world_;
  info.local_rank = env_.local_rank;
  info.restarts = restarts_;
  info.invocation = invocation_ = std::stoll(broadcast_string(*p_.comm, std::to_string(invocation), 0));
  info.anatomies = o_.config.data.anatomies;
  for (auto& obs : p_.observers) obs->on_start(info);
}

// ---- train_step: one optimizer step over `accumulation` micro-batches ----
Trainer::Boundary Trainer::train_step(data::Loader& loader) {
  const auto& config = o_.config;
  const auto step_start = Clock::now();
  p_.comm->take_blocked_seconds();  // validation and checkpoints between steps are not this step's communication
  const int64_t accumulation = config.train.accumulation;
  double data_wait = 0, collapse_sum = 0;  // text-collapse index of this rank's micro-batches
  int64_t samples = 0, bad = 0, collapse_count = 0;
  auto terms_sum = torch::zeros({3}, torch::kDouble);
  std::vector<int64_t> intact(config.data.anatomies.size(), 0);  // this rank's, all micro-batches
  for (int64_t micro = 0; micro < accumulation; ++micro) {
    const auto wait_start = Clock::now();
    data::Batch host = loader.next();
    data_wait += seconds_since(wait_start);
    epoch_ = host.epoch;
    position_ = host.next_position;
    bad += host.bad_samples;
    samples += static_cast<int64_t>(host.indices.size());
    add_intact_counts(host, intact);
    const auto batch = to_device(std::move(host), env_.device);
    p_.optimizer->before_backward(micro == accumulation - 1);
    const auto out = forward_loss(p_.model, batch, p_.comm, config, env_.device);
    if (const auto index = model::text_collapse_index(out.instances)) {
      collapse_sum += *index;
      ++collapse_count;
    }
    (out.terms.total / static_cast<double>(accumulation)).backward();
    terms_sum +=
        torch::stack({out.terms.total, out.terms.local, out.terms.global}).detach().to(torch::kCPU, torch::kDouble);
  }
  const double lr = schedule_.at(step_);
  const auto stats = p_.optimizer->step(lr, config.train.grad_clip);
  p_.model->clamp_temperatures();
  ++step_;
  ++invocation_steps_;

  // One all-reduce at the step boundary: the global loss (the ranks' shares sum to it), the stop flag (any rank
  // that got a signal stops everyone at this same step), bad samples, the collapse index's parts, the intact
  // instances per anatomy (exact in doubles far beyond any batch).
  const int64_t anatomies = static_cast<int64_t>(intact.size());
  auto local = torch::zeros({8 + anatomies}, torch::kDouble);
  local.narrow(0, 0, 3).copy_(terms_sum / static_cast<double>(accumulation));
  local[3] = stop_requested() != 0 ? 1.0 : 0.0;
  local[4] = static_cast<double>(stop_requested());
  local[5] = static_cast<double>(bad);
  local[6] = collapse_sum;
  local[7] = static_cast<double>(collapse_count);
  for (int64_t a = 0; a < anatomies; ++a) local[8 + a] = static_cast<double>(intact[static_cast<size_t>(a)]);
  auto reduced = local.to(p_.comm->device());
  p_.comm->all_reduce(reduced, ReduceOp::sum);
  reduced = reduced.to(torch::kCPU);
  const auto* r = reduced.data_ptr<double>();

  Boundary b;
  auto& report = b.report;
  report.step = step_;
  report.total_steps = total_steps_;
  report.epoch = epoch_;
  report.loss_total = r[0];
  report.loss_local = r[1];
  report.loss_global = r[2];
  report.lr = lr;
  report.tau_local = p_.model->tau_local().item<double>();
  report.tau_global = p_.model->tau_global().item<double>();
  report.grad_norm = stats.grad_norm;
  report.samples = samples;
  report.global_samples = samples * world_;
  report.data_wait_seconds = data_wait;
  report.comm_seconds = p_.comm->take_blocked_seconds();
  report.text_collapse_index = r[7] > 0 ? r[6] / r[7] : 0.0;
  report.bad_samples = static_cast<int64_t>(r[5]);
  measure_resources(env_.device, report);
  for (int64_t a = 0; a < anatomies; ++a) report.intact_instances.push_back(static_cast<int64_t>(r[8 + a]));
  report.step_seconds = seconds_since(step_start);
  b.stop_ranks = static_cast<int>(r[3]);
  b.stop_signal = b.stop_ranks > 0 ? static_cast<int>(r[4] / r[3]) : 0;
  if (!std::isfinite(report.loss_total))
    throw Error("train: the loss is " + std::to_string(report.loss_total) + " at step " + std::to_string(step_) +
                " (lower train.lr, or check the data)");
  for (auto& obs : p_.observers) obs->on_step(report);
  result_.losses.push_back(report.loss_total);
  if (invocation_steps_ == 1) result_.first_loss = report.loss_total;
  result_.last_loss = report.loss_total;
  return b;
}

// ---- validate: the validation loss, then live zero-shot scoring ----
bool Trainer::validation_due() const {
  const int64_t every = o_.config.train.val_every;
  return every > 0 && step_ % every == 0;
}

void Trainer::validate() {
  if (!p_.valid || p_.valid->sampler.num_samples == 0) return;
  torch::NoGradGuard no_grad;
  p_.model->eval();
  const data::Sampler sampler(p_.valid->sampler);
  const int64_t global_batch = sampler.global_batch();
  data::Loader loader(p_.valid->source, sampler, 0, p_.valid->loader, p_.text);
  const int64_t batches = (p_.valid->sampler.num_samples + global_batch - 1) / global_batch;
  auto sums = torch::zeros({3}, torch::kDouble);
  for (int64_t i = 0; i < batches; ++i) {
    const auto batch = to_device(loader.next(), env_.device);
    const auto t = forward_loss(p_.model, batch, p_.comm, o_.config, env_.device).terms;
    sums += torch::stack({t.total, t.local, t.global}).detach().to(torch::kCPU, torch::kDouble);
  }
  auto reduced = sums.to(p_.comm->device());
  p_.comm->all_reduce(reduced, ReduceOp::sum);
  reduced = reduced.to(torch::kCPU) / static_cast<double>(batches);
  std::optional<ZeroShotFigures> zero_shot;  // still in eval mode, no grad: it draws no random numbers
  if (p_.live_validation) {
    const auto live_start = Clock::now();
    zero_shot = p_.live_validation->score(p_.model, *p_.comm, step_);
    if (zero_shot) zero_shot->seconds = seconds_since(live_start);
  }
  p_.model->train();
  ValidationReport r{step_, reduced[0].item<double>(), reduced[1].item<double>(), reduced[2].item<double>()};
  r.zero_shot = std::move(zero_shot);
  for (auto& obs : p_.observers) obs->on_validation(r);
  result_.validation_loss = r.loss_total;
}

// ---- checkpoint: every train.checkpoint_every steps, at a stop and at the end ----
void Trainer::checkpoint(bool stopping) {
  if (auto committed = p_.store->poll()) report_checkpoint(*committed);
  const int64_t every = o_.config.train.checkpoint_every;
  const bool due = (every > 0 && step_ % every == 0) || step_ == total_steps_ || stopping;
  if (!due || last_saved_ == step_) return;
  if (auto earlier = p_.store->finish()) report_checkpoint(*earlier);  // one save in flight at a time
  if (o_.background_checkpoints && !stopping && step_ != total_steps_)
    p_.store->begin_save(snapshot());
  else
    report_checkpoint(p_.store->save(snapshot()));
  last_saved_ = step_;
}

CheckpointSnapshot Trainer::snapshot() const {
  CheckpointSnapshot snap;
  auto& c = snap.common;
  c.step = step_;
  c.total_steps = total_steps_;
  c.world_size = world_;
  c.batch_size = o_.config.train.batch_size;
  c.sampler_position = position_;
  c.epoch = epoch_;
  c.restarts = restarts_;
  c.zero1 = o_.config.train.zero1;
  c.config_hash = config_hash(o_.config);
  c.config_yaml = config_yaml_;
  if (rank_ == 0)
    for (const auto* list : {&p_.params, &p_.buffers})
      for (const auto& p : *list) snap.model[p.name] = p.tensor.detach().to(torch::kCPU).clone();
  snap.optimizer = p_.optimizer->state_slice();
  snap.cpu_rng = generator_state_hex(torch::kCPU);
  if (env_.device.is_cuda()) snap.cuda_rng = generator_state_hex(env_.device);
  return snap;
}

void Trainer::report_checkpoint(const CheckpointReport& report) {
  result_.checkpoint = (p_.store->checkpoints_dir() / step_dir_name(report.step)).string();
  for (auto& obs : p_.observers) obs->on_checkpoint(report);
}

// ---- stop: a signal on any rank (agreed at the boundary), or --stop-after-steps ----
bool Trainer::stop(const Boundary& boundary) {
  if (boundary.stop_ranks > 0) {
    result_.stop_signal = boundary.stop_signal;
    if (rank_ == 0)
      spdlog::warn("train: stop requested by signal {} on {} rank(s); checkpointing at step {}", result_.stop_signal,
                   boundary.stop_ranks, step_);
    return true;
  }
  if (o_.stop_after_steps > 0 && invocation_steps_ >= o_.stop_after_steps && step_ < total_steps_) {
    if (rank_ == 0)
      spdlog::info("train: --stop-after-steps {} reached at step {}; checkpointing", o_.stop_after_steps, step_);
    return true;
  }
  return false;
}

TrainResult Trainer::finish() {
  result_.step = step_;
  result_.finished = step_ >= total_steps_;
  for (auto& obs : p_.observers) obs->on_finish();
  if (!result_.finished && result_.stop_signal != 0 && o_.requeue && rank_ == 0) {
    std::string error;
    const int status = requeue_slurm_job(env_.job_id, error);
    if (status == 0)
      spdlog::info("train: requeued Slurm job {}", env_.job_id);
    else
      spdlog::error("train: scontrol requeue {} failed (status {}): {}", env_.job_id, status, error);
  }
  return result_;
}

}  // namespace cagcl::trainer
