#include <torch/torch.h>

#include "trainer/trainer.hpp"

#include <ATen/autocast_mode.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>

#include "common/error.hpp"
#include "data/dataset.hpp"
#include "data/loader.hpp"
#include "data/sampler.hpp"
#include "data/tokenizer.hpp"
#include "launch/comm_options.hpp"
#include "launch/data_options.hpp"
#include "model/cagcl_model.hpp"
#include "model/contrastive_loss.hpp"
#include "model/text_collapse.hpp"
#include "trainer/anatomy_coverage.hpp"
#include "trainer/checkpoint_store.hpp"
#include "trainer/collective_strings.hpp"
#include "trainer/config_compatibility.hpp"
#include "trainer/data_parallel_adamw.hpp"
#include "trainer/dataset_split.hpp"
#include "trainer/invocation_counter.hpp"
#include "trainer/live_validation.hpp"
#include "trainer/lr_schedule.hpp"
#include "trainer/metrics_log.hpp"
#include "trainer/progress_log.hpp"
#include "trainer/stop_signal.hpp"
#include "trainer/timed_communicator.hpp"
#include "trainer/zero1_optimizer.hpp"

namespace cagcl::trainer {
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

uint64_t mix(uint64_t x) {  // splitmix64 finaliser: per-rank seeds far apart
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// bf16 autocast for the model's forward (the loss runs in fp32 outside it, as in open_clip / fVLM).
class AutocastScope {
 public:
  AutocastScope(bool enabled, const torch::Device& device) : active_(enabled), cuda_(device.is_cuda()) {
    if (!active_) return;
    if (cuda_) {
      previous_ = at::autocast::is_enabled();
      at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
      at::autocast::set_enabled(true);
    } else {
      previous_ = at::autocast::is_cpu_enabled();
      at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
      at::autocast::set_cpu_enabled(true);
    }
  }
  ~AutocastScope() {
    if (!active_) return;
    if (cuda_) at::autocast::set_enabled(previous_);
    else at::autocast::set_cpu_enabled(previous_);
    at::autocast::clear_cache();
  }
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_, cuda_, previous_ = false;
};

std::string generator_state_hex(const torch::Device& device) {
  auto generator = at::globalContext().defaultGenerator(device);
  std::lock_guard<std::mutex> lock(generator.mutex());
  const auto state = generator.get_state().contiguous();
  return to_hex(state.data_ptr(), static_cast<size_t>(state.numel()));
}

void set_generator_state(const torch::Device& device, const std::string& hex, const std::string& what) {
  const auto bytes = from_hex(hex, what);
  auto state = torch::empty({static_cast<int64_t>(bytes.size())}, torch::kUInt8);
  std::memcpy(state.data_ptr<uint8_t>(), bytes.data(), bytes.size());
  auto generator = at::globalContext().defaultGenerator(device);
  std::lock_guard<std::mutex> lock(generator.mutex());
  try {
    generator.set_state(state);
  } catch (const c10::Error& e) {
    throw DataError(what + ": not a generator state of this LibTorch: " + e.what_without_backtrace());
  }
}

double resident_bytes(const torch::Device& device) {
  (void)device;
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0, pages_resident = 0;
  if (!(statm >> pages_total >> pages_resident)) return 0;
  return static_cast<double>(pages_resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

// Adds the batch's intact (sample, anatomy) instances per anatomy to `counts`: the rows intact_instances keeps.
// From the host batch, so counting costs no device synchronisation.
void add_intact_counts(const data::Batch& host, std::vector<int64_t>& counts) {
  const auto per_anatomy = (host.intact.to(torch::kBool) & host.valid.to(torch::kBool).unsqueeze(1))
                               .sum(0, /*keepdim=*/false, torch::kLong)
                               .contiguous();
  if (per_anatomy.numel() != static_cast<int64_t>(counts.size()))
    throw Error("train: the batch has intact flags for " + std::to_string(per_anatomy.numel()) + " anatomies, "
                "data.anatomies names " + std::to_string(counts.size()));
  const auto* n = per_anatomy.data_ptr<int64_t>();
  for (size_t a = 0; a < counts.size(); ++a) counts[a] += n[a];
}

data::Batch to_device(data::Batch batch, const torch::Device& device) {
  if (device.is_cpu()) return batch;
  // Pinned host memory lets the copy run asynchronously with respect to the host thread.
  auto move = [&](torch::Tensor& t) { t = t.pin_memory().to(device, /*non_blocking=*/true); };
  move(batch.image);
  move(batch.anatomy);
  move(batch.intact);
  move(batch.normal);
  move(batch.text_id);
  move(batch.token_ids);
  move(batch.attention);
  move(batch.labels);
  move(batch.valid);
  return batch;
}

}  // namespace

struct Trainer::State {
  TrainerOptions o;
  TrainerEnvironment env;
  std::shared_ptr<TimedCommunicator> comm;
  std::vector<std::shared_ptr<TrainingObserver>> observers;
  std::shared_ptr<LiveValidation> live_validation;
};

Trainer::Trainer(TrainerOptions options, TrainerEnvironment environment, std::shared_ptr<Communicator> comm)
    : s_(std::make_unique<State>()) {
  s_->o = std::move(options);
  s_->env = environment;
  s_->comm = std::make_shared<TimedCommunicator>(std::move(comm));
}

Trainer::~Trainer() = default;

void Trainer::add_observer(std::shared_ptr<TrainingObserver> observer) { s_->observers.push_back(std::move(observer)); }

void Trainer::set_live_validation(std::shared_ptr<LiveValidation> live) { s_->live_validation = std::move(live); }

TrainResult Trainer::run() {
  const auto& o = s_->o;
  const Config& config = o.config;
  auto& comm = *s_->comm;
  const auto comm_ptr = std::static_pointer_cast<Communicator>(s_->comm);
  const int rank = comm.rank(), world = comm.size();
  const torch::Device device = s_->env.device;
  const fs::path run_dir = o.run_dir;
  TrainResult result;

  if (config.train.precision == "bf16" && device.is_cpu())
    spdlog::warn("train.precision bf16 on the CPU: LibTorch's CPU autocast runs matrix products in bfloat16; "
                 "without AVX512-BF16/AMX it is usually slower than fp32 and only useful to test bf16 numerics");

  // From the start: a SIGUSR1 that arrives while the dataset opens must not kill the job (its default action).
  install_stop_handlers();
  struct Uninstall {
    ~Uninstall() { uninstall_stop_handlers(); }
  } uninstall;

  // ---- the run directory ----
  if (rank == 0) {
    std::error_code ec;
    fs::create_directories(run_dir / "checkpoints", ec);
    if (ec) throw IoError(run_dir.string() + ": cannot create the run directory: " + ec.message());
  }
  comm.barrier();
  const bool has_checkpoints = fs::exists(run_dir / "checkpoints" / kLatestFileName);
  if (o.resume.empty() && has_checkpoints)
    throw UsageError("--out " + run_dir.string() + ": the run already has checkpoints; pass --resume auto to continue "
                     "it, or choose another --out");

  // ---- data ----
  data::DatasetOptions dataset_options;
  dataset_options.verify_checksums = config.data.verify_checksums;
  const auto dataset = data::Dataset::open(o.data_dir, dataset_options);
  const auto splits = index_splits(dataset);
  if (splits.train.empty()) throw DataError(o.data_dir.string() + ": no sample has split 'train'");
  auto train_indices = std::make_shared<const std::vector<int64_t>>(splits.train);
  auto valid_indices = std::make_shared<const std::vector<int64_t>>(splits.valid);
  auto sampler_for = [&](const std::vector<int64_t>& indices, bool train) {
    auto so = sampler_options(config, dataset, rank, world, train);
    so.num_samples = static_cast<int64_t>(indices.size());
    so.shard_sizes = so.shard_sizes.empty() ? std::vector<int64_t>{} : subset_shard_sizes(dataset, indices);
    return data::Sampler(so);
  };
  data::Sampler train_sampler = sampler_for(*train_indices, true);
  const int64_t accumulation = config.train.accumulation;
  int64_t total_steps = config.train.steps;
  if (total_steps == 0) total_steps = config.train.epochs * train_sampler.steps_per_epoch() / accumulation;
  if (total_steps < 1) throw UsageError("train.epochs: gives no optimizer step for this dataset and batch size");
  const auto text = text_pipeline(config, dataset);
  const int64_t vocab_size = data::Tokenizer::from_file(vocab_path(config, dataset)).vocab_size();

  // ---- model, identical on every rank ----
  torch::manual_seed(config.train.seed);
  model::CagclModel net(config, vocab_size);
  net->to(device);
  std::vector<NamedParameter> params;
  for (const auto& item : net->named_parameters(true)) params.push_back({item.key(), item.value()});
  std::vector<NamedParameter> buffers;
  for (const auto& item : net->named_buffers(true)) buffers.push_back({item.key(), item.value()});
  {
    torch::NoGradGuard no_grad;
    for (auto* list : {&params, &buffers})
      for (auto& p : *list) {
        auto t = p.tensor.detach().contiguous();
        comm.broadcast(t, 0);
        p.tensor.detach().copy_(t);
      }
  }
  int64_t num_params = 0;
  for (const auto& p : params) num_params += p.tensor.numel();

  AdamWOptions adamw{config.train.beta1, config.train.beta2, 1e-8, config.train.weight_decay};
  const auto sync = grad_sync_options(config.comm);
  std::unique_ptr<DataParallelOptimizer> optimizer;
  if (config.train.zero1)
    optimizer = std::make_unique<Zero1AdamW>(comm_ptr, params, adamw, sync.bucket_cap_bytes, sync.first_bucket_bytes);
  else
    optimizer = std::make_unique<DataParallelAdamW>(comm_ptr, params, adamw, sync);
  const LrSchedule schedule({config.train.lr, config.train.warmup_lr, config.train.min_lr, config.train.warmup_steps,
                             total_steps});

  // ---- resume ----
  int64_t step = 0, position = 0, restarts = s_->env.slurm_restarts;
  torch::manual_seed(mix(config.train.seed ^ mix(static_cast<uint64_t>(rank) + 1)));
  std::string chosen;
  if (!o.resume.empty()) {
    if (rank == 0) {
      if (o.resume == "auto") {
        if (has_checkpoints) chosen = resolve_checkpoint(run_dir.string());
        else spdlog::info("--resume auto: {} has no checkpoint yet; starting from step 0", run_dir.string());
      } else {
        chosen = resolve_checkpoint(o.resume);
      }
    }
    chosen = broadcast_string(comm, chosen, 0);
  }
  const std::string config_yaml = to_yaml(config);
  if (!chosen.empty()) {
    const auto loaded = load_checkpoint(chosen);
    const auto& m = loaded.manifest;
    const auto others = check_resume_compatible(m.config_yaml, config_yaml, chosen);
    if (rank == 0)
      for (const auto& d : others) spdlog::info("resume: {} was {} and is now {}", d.key, d.saved, d.current);
    torch::NoGradGuard no_grad;
    for (auto* list : {&params, &buffers})
      for (auto& p : *list) {
        auto it = loaded.model.find(p.name);
        if (it == loaded.model.end())
          throw DataError(chosen + "/" + kModelFileName + ": tensor '" + p.name + "' is missing");
        if (it->second.sizes() != p.tensor.sizes())
          throw UsageError("--resume " + chosen + ": tensor '" + p.name + "' has shape " +
                           c10::str(it->second.sizes()) + " in the checkpoint, " + c10::str(p.tensor.sizes()) + " now");
        p.tensor.detach().copy_(it->second);
      }
    std::map<std::string, int64_t> numels;
    for (const auto& p : params)
      if (p.tensor.requires_grad()) numels[p.name] = p.tensor.numel();
    optimizer->load_state(assemble_state(m.step, loaded.optimizer, numels, chosen));
    step = m.step;
    position = m.sampler_position;
    restarts = std::max(restarts, m.restarts + 1);
    if (m.world_size == world) {
      set_generator_state(torch::kCPU, m.ranks[rank].cpu_rng, chosen + ": ranks[" + std::to_string(rank) + "].cpu_rng");
      if (device.is_cuda() && !m.ranks[rank].cuda_rng.empty())
        set_generator_state(device, m.ranks[rank].cuda_rng, chosen + ": ranks[" + std::to_string(rank) + "].cuda_rng");
    } else {
      // Another world size: no saved stream belongs to this rank; derive one from (seed, rank, step).
      torch::manual_seed(mix(config.train.seed ^ mix(static_cast<uint64_t>(rank) + 1) ^ mix(static_cast<uint64_t>(step))));
      if (rank == 0)
        spdlog::info("resume: world size {} -> {}: optimizer state resharded, sampler continues at global position {}",
                     m.world_size, world, position);
    }
    std::error_code ec;
    if (rank == 0 && fs::equivalent(fs::path(chosen).parent_path(), run_dir / "checkpoints", ec))
      for (const auto& moved : set_aside_checkpoints_after(run_dir / "checkpoints", step))
        spdlog::warn("resume: set aside {} (newer than the checkpoint resumed from; its steps are trained again)",
                     moved.string());
    if (rank == 0)
      spdlog::info("resumed from {} (step {}, sampler position {}, epoch {})", chosen, step, position, m.epoch);
    result.checkpoint = chosen;
  }

  // ---- observers, progress ----
  int64_t invocation = 0;
  if (rank == 0) {
    save_config(config, run_dir / "config.yaml");
    invocation = next_invocation(run_dir);  // before the first metrics line, which carries it
    s_->observers.push_back(std::make_shared<AnatomyCoverageCheck>());
    if (o.metrics_log) s_->observers.insert(s_->observers.begin(), std::make_shared<MetricsLog>(run_dir / "metrics.jsonl"));
    if (o.progress_log) s_->observers.insert(s_->observers.begin(), std::make_shared<ProgressLog>(config.train.log_every));
    spdlog::info("train: {} parameters, {} train / {} valid samples, {} ranks x batch {} x accumulation {} = {} per step, "
                 "{} steps ({} per epoch), {}{}",
                 num_params, splits.train.size(), splits.valid.size(), world, config.train.batch_size, accumulation,
                 world * config.train.batch_size * accumulation, total_steps,
                 train_sampler.steps_per_epoch() / accumulation, config.train.zero1 ? "ZeRO-1 AdamW" : "AdamW",
                 config.train.precision == "bf16" ? ", bf16 autocast" : "");
  }
  RunInfo info;
  info.run = run_dir.filename().string();
  info.job_id = s_->env.job_id;
  info.rank = rank;
  info.world_size = world;
  info.local_rank = s_->env.local_rank;
  info.restarts = restarts;
  info.invocation = std::stoll(broadcast_string(comm, std::to_string(invocation), 0));
  info.anatomies = config.data.anatomies;
  for (auto& obs : s_->observers) obs->on_start(info);

  CheckpointStore store(run_dir, comm_ptr, config.train.keep_checkpoints);
  auto snapshot = [&](int64_t at_step, int64_t at_position, int64_t epoch) {
    CheckpointSnapshot snap;
    auto& c = snap.common;
    c.step = at_step;
    c.total_steps = total_steps;
    c.world_size = world;
    c.batch_size = config.train.batch_size;
    c.sampler_position = at_position;
    c.epoch = epoch;
    c.restarts = restarts;
    c.zero1 = config.train.zero1;
    c.config_hash = config_hash(config);
    c.config_yaml = config_yaml;
    if (rank == 0)
      for (const auto* list : {&params, &buffers})
        for (const auto& p : *list) snap.model[p.name] = p.tensor.detach().to(torch::kCPU).clone();
    snap.optimizer = optimizer->state_slice();
    snap.cpu_rng = generator_state_hex(torch::kCPU);
    if (device.is_cuda()) snap.cuda_rng = generator_state_hex(device);
    return snap;
  };
  auto report_checkpoint = [&](const CheckpointReport& r) {
    result.checkpoint = (store.checkpoints_dir() / step_dir_name(r.step)).string();
    for (auto& obs : s_->observers) obs->on_checkpoint(r);
  };

  // ---- validation ----
  auto validate = [&]() -> double {
    if (valid_indices->empty()) return std::nan("");
    torch::NoGradGuard no_grad;
    net->eval();
    data::Sampler sampler = sampler_for(*valid_indices, false);
    const int64_t global_batch = sampler.global_batch();
    data::Loader loader(subset_source(dataset, valid_indices), sampler, 0, loader_options(config, dataset, false), text);
    const int64_t batches = (static_cast<int64_t>(valid_indices->size()) + global_batch - 1) / global_batch;
    auto sums = torch::zeros({3}, torch::kDouble);
    for (int64_t i = 0; i < batches; ++i) {
      auto batch = to_device(loader.next(), device);
      model::Embeddings e;
      {
        AutocastScope autocast(config.train.precision == "bf16", device);
        e = net->forward(batch);
      }
      e.v = e.v.to(torch::kFloat);
      e.t = e.t.to(torch::kFloat);
      const auto terms = model::ca_gcl_loss(comm_ptr, model::intact_instances(e, batch), net->tau_local(),
                                            net->tau_global(), config.loss);
      sums += torch::stack({terms.total, terms.local, terms.global}).detach().to(torch::kCPU, torch::kDouble);
    }
    auto reduced = sums.to(comm.device());
    comm.all_reduce(reduced, ReduceOp::sum);
    reduced = reduced.to(torch::kCPU) / static_cast<double>(batches);
    std::optional<ZeroShotFigures> zero_shot;  // still in eval mode, no grad: it draws no random numbers
    if (s_->live_validation) {
      const auto live_start = Clock::now();
      zero_shot = s_->live_validation->score(net, dataset, *valid_indices, comm, step);
      if (zero_shot) zero_shot->seconds = seconds_since(live_start);
    }
    net->train();
    ValidationReport r{step, reduced[0].item<double>(), reduced[1].item<double>(), reduced[2].item<double>()};
    r.zero_shot = std::move(zero_shot);
    for (auto& obs : s_->observers) obs->on_validation(r);
    result.validation_loss = r.loss_total;
    return r.loss_total;
  };

  if (step >= total_steps) {
    if (rank == 0) spdlog::info("train: the run is already complete ({} of {} steps)", step, total_steps);
    validate();
    result.finished = true;
    result.step = step;
    for (auto& obs : s_->observers) obs->on_finish();
    return result;
  }

  // The loss of the initial model: the baseline the later validation losses are read against. It draws no
  // random numbers (centre crops, no text augmentation, eval mode), so it does not change the run.
  if (step == 0 && config.train.val_every > 0) validate();

  // ---- the loop ----
  data::Loader loader(subset_source(dataset, train_indices), train_sampler, position,
                      loader_options(config, dataset, true), text);
  net->train();
  int64_t invocation_steps = 0, epoch = 0;
  int64_t last_saved = chosen.empty() ? -1 : step;
  bool stop = false;
  while (step < total_steps && !stop) {
    const auto step_start = Clock::now();
    comm.take_blocked_seconds();  // validation and checkpoints between steps are not this step's communication
    double data_wait = 0;
    int64_t samples = 0, bad = 0;
    auto terms_sum = torch::zeros({3}, torch::kDouble);
    double collapse_sum = 0;  // text-collapse index of this rank's micro-batches (model/text_collapse.hpp)
    int64_t collapse_count = 0;
    std::vector<int64_t> intact(config.data.anatomies.size(), 0);  // this rank's, all micro-batches
    for (int64_t micro = 0; micro < accumulation; ++micro) {
      const auto wait_start = Clock::now();
      data::Batch host = loader.next();
      data_wait += seconds_since(wait_start);
      epoch = host.epoch;
      position = host.next_position;
      bad += host.bad_samples;
      samples += static_cast<int64_t>(host.indices.size());
      add_intact_counts(host, intact);
      auto batch = to_device(std::move(host), device);
      optimizer->before_backward(micro == accumulation - 1);
      model::Embeddings e;
      {
        AutocastScope autocast(config.train.precision == "bf16", device);
        e = net->forward(batch);
      }
      e.v = e.v.to(torch::kFloat);
      e.t = e.t.to(torch::kFloat);
      const auto instances = model::intact_instances(e, batch);
      if (const auto index = model::text_collapse_index(instances)) {
        collapse_sum += *index;
        ++collapse_count;
      }
      const auto terms = model::ca_gcl_loss(comm_ptr, instances, net->tau_local(), net->tau_global(), config.loss);
      (terms.total / static_cast<double>(accumulation)).backward();
      terms_sum += torch::stack({terms.total, terms.local, terms.global}).detach().to(torch::kCPU, torch::kDouble);
    }
    const double lr = schedule.at(step);
    const auto stats = optimizer->step(lr, config.train.grad_clip);
    net->clamp_temperatures();
    ++step;
    ++invocation_steps;

    // One all-reduce at the step boundary: the global loss (the ranks' shares sum to it), the stop flag (any
    // rank that got a signal stops everyone at this same step), bad samples, the collapse index's parts, the
    // intact instances per anatomy (exact in doubles far beyond any batch).
    const int64_t num_anatomies = static_cast<int64_t>(intact.size());
    auto boundary = torch::zeros({8 + num_anatomies}, torch::kDouble);
    boundary.narrow(0, 0, 3).copy_(terms_sum / static_cast<double>(accumulation));
    boundary[3] = stop_requested() != 0 ? 1.0 : 0.0;
    boundary[4] = static_cast<double>(stop_requested());
    boundary[5] = static_cast<double>(bad);
    boundary[6] = collapse_sum;
    boundary[7] = static_cast<double>(collapse_count);
    for (int64_t a = 0; a < num_anatomies; ++a) boundary[8 + a] = static_cast<double>(intact[static_cast<size_t>(a)]);
    auto reduced = boundary.to(comm.device());
    comm.all_reduce(reduced, ReduceOp::sum);
    reduced = reduced.to(torch::kCPU);
    const auto* r = reduced.data_ptr<double>();

    StepReport report;
    report.step = step;
    report.total_steps = total_steps;
    report.epoch = epoch;
    report.loss_total = r[0];
    report.loss_local = r[1];
    report.loss_global = r[2];
    report.lr = lr;
    report.tau_local = net->tau_local().item<double>();
    report.tau_global = net->tau_global().item<double>();
    report.grad_norm = stats.grad_norm;
    report.samples = samples;
    report.global_samples = samples * world;
    report.data_wait_seconds = data_wait;
    report.comm_seconds = comm.take_blocked_seconds();
    report.text_collapse_index = r[7] > 0 ? r[6] / r[7] : 0.0;
    report.bad_samples = static_cast<int64_t>(r[5]);
    report.memory_bytes = resident_bytes(device);
    for (int64_t a = 0; a < num_anatomies; ++a) report.intact_instances.push_back(static_cast<int64_t>(r[8 + a]));
    report.step_seconds = seconds_since(step_start);
    if (!std::isfinite(report.loss_total))
      throw Error("train: the loss is " + std::to_string(report.loss_total) + " at step " + std::to_string(step) +
                  " (lower train.lr, or check the data)");
    for (auto& obs : s_->observers) obs->on_step(report);
    result.losses.push_back(report.loss_total);
    if (invocation_steps == 1) result.first_loss = report.loss_total;
    result.last_loss = report.loss_total;

    if (r[3] > 0) {
      stop = true;
      result.stop_signal = static_cast<int>(r[4] / r[3]);
      if (rank == 0) spdlog::warn("train: stop requested by signal {} on {} rank(s); checkpointing at step {}",
                                  result.stop_signal, static_cast<int>(r[3]), step);
    }
    if (o.stop_after_steps > 0 && invocation_steps >= o.stop_after_steps && step < total_steps) {
      stop = true;
      if (rank == 0) spdlog::info("train: --stop-after-steps {} reached at step {}; checkpointing", o.stop_after_steps, step);
    }

    if (config.train.val_every > 0 && step % config.train.val_every == 0) validate();

    if (auto committed = store.poll()) report_checkpoint(*committed);
    const bool due = (config.train.checkpoint_every > 0 && step % config.train.checkpoint_every == 0) ||
                     step == total_steps || stop;
    if (due && last_saved != step) {
      if (auto earlier = store.finish()) report_checkpoint(*earlier);  // one save in flight at a time
      if (o.background_checkpoints && !stop && step != total_steps)
        store.begin_save(snapshot(step, position, epoch));
      else
        report_checkpoint(store.save(snapshot(step, position, epoch)));
      last_saved = step;
    }
  }
  if (auto committed = store.finish()) report_checkpoint(*committed);
  if (step >= total_steps && (config.train.val_every == 0 || step % config.train.val_every != 0)) validate();

  result.step = step;
  result.finished = step >= total_steps;
  for (auto& obs : s_->observers) obs->on_finish();
  if (!result.finished && result.stop_signal != 0 && o.requeue && rank == 0) {
    std::string error;
    const int status = requeue_slurm_job(s_->env.job_id, error);
    if (status == 0) spdlog::info("train: requeued Slurm job {}", s_->env.job_id);
    else spdlog::error("train: scontrol requeue {} failed (status {}): {}", s_->env.job_id, status, error);
  }
  return result;
}

}  // namespace cagcl::trainer
