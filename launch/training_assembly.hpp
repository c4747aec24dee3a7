#pragma once
// What `cagcl train` (and bench/train) hands the Trainer, built from the resolved configuration: the run
// directory, the dataset's train and validation splits, the text pipeline, the model (seeded from train.seed
// and broadcast from rank 0), the optimizer, the schedule, the checkpoint store and the observers (progress
// lines and RUN/metrics.jsonl on rank 0 as the options ask, the Prometheus exporter when monitoring is on, the
// anatomy-coverage check), and live zero-shot scoring when train.val_zero_shot is on.
#include <memory>

#include "comm/communicator.hpp"
#include "trainer/trainer.hpp"

namespace cagcl {

// Collective: every rank calls it. UsageError/DataError naming the dataset, split or key that is wrong.
trainer::TrainingParts assemble_training(const trainer::TrainerOptions& options,
                                         const trainer::TrainerEnvironment& environment,
                                         std::shared_ptr<Communicator> comm);

}  // namespace cagcl
