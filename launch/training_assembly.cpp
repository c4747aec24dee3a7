#include "launch/training_assembly.hpp"

#include "comm/comm_options.hpp"
#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "data/data_options.hpp"
#include "data/dataset.hpp"
#include "data/tokenizer.hpp"
#include "launch/live_zero_shot.hpp"
#include "monitoring/monitoring_options.hpp"
#include "trainer/anatomy_coverage.hpp"
#include "trainer/data_parallel_adamw.hpp"
#include "trainer/dataset_split.hpp"
#include "trainer/metrics_log.hpp"
#include "trainer/progress_log.hpp"
#include "trainer/zero1_optimizer.hpp"

namespace cagcl {
namespace fs = std::filesystem;
using trainer::TrainingParts;

namespace {

// The samples of `indices` as the loader reads them; the source keeps the dataset alive.
trainer::SplitData split_data(const Config& config, const std::shared_ptr<const data::Dataset>& dataset,
                              std::vector<int64_t> indices, int rank, int world, bool train) {
  auto shared = std::make_shared<const std::vector<int64_t>>(std::move(indices));
  trainer::SplitData split;
  split.sampler = sampler_options(config, *dataset, rank, world, train);
  split.sampler.num_samples = static_cast<int64_t>(shared->size());
  if (!split.sampler.shard_sizes.empty()) split.sampler.shard_sizes = trainer::subset_shard_sizes(*dataset, *shared);
  split.source = [dataset, source = trainer::subset_source(*dataset, shared)](int64_t i) { return source(i); };
  split.loader = loader_options(config, *dataset, train);
  return split;
}

// The model of train.seed on every rank, then rank 0's copy everywhere (LibTorch's init may differ by build).
void build_model(TrainingParts& p, const Config& config, int64_t vocab_size, const torch::Device& device) {
  torch::manual_seed(config.train.seed);
  p.model = model::CagclModel(config, vocab_size);
  p.model->to(device);
  for (const auto& item : p.model->named_parameters(true)) p.params.push_back({item.key(), item.value()});
  for (const auto& item : p.model->named_buffers(true)) p.buffers.push_back({item.key(), item.value()});
  torch::NoGradGuard no_grad;
  for (auto* list : {&p.params, &p.buffers})
    for (auto& named : *list) {
      auto t = named.tensor.detach().contiguous();
      p.comm->broadcast(t, 0);
      named.tensor.detach().copy_(t);
    }
}

void build_optimizer(TrainingParts& p, const Config& config) {
  const trainer::AdamWOptions adamw{config.train.beta1, config.train.beta2, 1e-8, config.train.weight_decay};
  const auto sync = grad_sync_options(config.comm);
  if (config.train.zero1)
    p.optimizer =
        std::make_unique<trainer::Zero1AdamW>(p.comm, p.params, adamw, sync.bucket_cap_bytes, sync.first_bucket_bytes);
  else
    p.optimizer = std::make_unique<trainer::DataParallelAdamW>(p.comm, p.params, adamw, sync);
}

int64_t schedule_length(const Config& config, const trainer::SplitData& train) {
  if (config.train.steps > 0) return config.train.steps;
  const int64_t steps =
      config.train.epochs * data::Sampler(train.sampler).steps_per_epoch() / config.train.accumulation;
  if (steps < 1) throw UsageError("train.epochs: gives no optimizer step for this dataset and batch size");
  return steps;
}

void add_observers(TrainingParts& p, const trainer::TrainerOptions& o, int local_rank) {
  const bool rank0 = p.comm->rank() == 0;
  if (rank0 && o.progress_log) p.observers.push_back(std::make_shared<trainer::ProgressLog>(o.config.train.log_every));
  if (rank0 && o.metrics_log) p.observers.push_back(std::make_shared<trainer::MetricsLog>(o.run_dir / "metrics.jsonl"));
  if (auto exporter = make_prometheus_exporter(o.config.monitoring, local_rank))
    p.observers.push_back(std::move(exporter));
  if (rank0) p.observers.push_back(std::make_shared<trainer::AnatomyCoverageCheck>());
}

}  // namespace

TrainingParts assemble_training(const trainer::TrainerOptions& o, const trainer::TrainerEnvironment& env,
                                std::shared_ptr<Communicator> comm) {
  const Config& config = o.config;
  TrainingParts p;
  p.comm = std::make_shared<trainer::TimedCommunicator>(std::move(comm));
  const int rank = p.comm->rank(), world = p.comm->size();
  if (rank == 0) {
    create_directories_durably(o.run_dir / "checkpoints");
    p.run_lock = std::make_shared<const trainer::RunDirectoryLock>(o.run_dir);  // before anything else touches it
  }
  p.comm->barrier();

  data::DatasetOptions dataset_options;
  dataset_options.verify_checksums = config.data.verify_checksums;
  const auto dataset = trainer::open_dataset_together(*p.comm, o.data_dir, dataset_options);
  auto splits = trainer::index_splits(*dataset);
  if (splits.train.empty()) throw DataError(o.data_dir.string() + ": no sample has split 'train'");
  const auto valid_indices = splits.valid;
  p.train = split_data(config, dataset, std::move(splits.train), rank, world, true);
  if (!valid_indices.empty()) p.valid = split_data(config, dataset, valid_indices, rank, world, false);
  p.text = text_pipeline(config, *dataset);
  p.schedule = {config.train.lr, config.train.warmup_lr, config.train.min_lr, config.train.warmup_steps,
                schedule_length(config, p.train)};

  build_model(p, config, data::Tokenizer::from_file(vocab_path(config, *dataset)).vocab_size(), env.device);
  build_optimizer(p, config);
  p.store = std::make_unique<trainer::CheckpointStore>(o.run_dir, p.comm, config.train.keep_checkpoints);
  add_observers(p, o, env.local_rank);
  // Live zero-shot scoring of the validation split at each validation (eval/'s figures, docs/training.md).
  if (config.train.val_zero_shot && !valid_indices.empty())
    p.live_validation = std::make_shared<LiveZeroShot>(config, dataset, valid_indices);
  return p;
}

}  // namespace cagcl
