#pragma once
// Which samples each rank loads at each step: one global, seeded permutation of all N samples per epoch,
// consumed in global batches of W*b; rank r takes positions [r*b, (r+1)*b) of each global batch.
//
// The sampler's state is one integer, the *global position*: the number of slots of the epoch stream
// (permutation of epoch 0, then of epoch 1, ...) that lie behind the next batch, dropped slots included.
// Hence epoch = position / N and offset = position % N, whatever W and b were before, and a run resumed at
// the same position with another W (or b) continues the same epoch: no sample is repeated or skipped.
//
// Training (drop_last): a global batch never straddles two epochs. When fewer than W*b samples remain in
// the epoch, they are dropped and the batch starts at the next epoch (every step has exactly W*b
// samples). Which tail is dropped depends on the W*b in use when the end of the epoch is reached.
// Evaluation (!drop_last): the last global batch is padded with index -1 (the loader marks those rows
// invalid), and the next batch starts at the next epoch.
// Rules in docs/data-pipeline.md, "Sampler".
#include <cstdint>
#include <vector>

namespace cagcl::data {

struct SamplerOptions {
  int64_t num_samples = 0;  // N
  int64_t world_size = 1;   // W
  int64_t rank = 0;         // r
  int64_t batch_size = 1;   // b, per rank
  uint64_t seed = 0;
  bool shuffle = true;    // false: identity order every epoch (evaluation)
  bool drop_last = true;  // true: training rule; false: evaluation padding
  // Shard-aware order: shuffle shard order, then within each shard the order of its blocks of
  // `block_size` consecutive samples and the samples within each block; still one permutation per epoch.
  // Empty = plain global shuffle. Sizes must sum to num_samples (shard k follows shard k-1).
  std::vector<int64_t> shard_sizes;
  int64_t block_size = 16;
};

// What one rank loads at one step.
struct LocalBatch {
  int64_t epoch = 0;
  int64_t position = 0;          // global position of the first slot of this global batch
  int64_t next_position = 0;     // global position of the next global batch
  std::vector<int64_t> indices;  // b global sample indices; -1 = padding (evaluation only)
};

class Sampler {
 public:
  // UsageError naming the option when N < 1, W < 1, r not in [0, W), b < 1, W*b > N with drop_last, or
  // shard sizes not summing to N.
  explicit Sampler(SamplerOptions options);

  const SamplerOptions& options() const { return options_; }
  int64_t global_batch() const { return options_.world_size * options_.batch_size; }
  // Full steps of one epoch under this W*b (the training rule drops the remainder).
  int64_t steps_per_epoch() const;

  // The permutation of epoch `epoch`: a pure function of (seed, epoch, options' order settings).
  std::vector<int64_t> epoch_order(int64_t epoch) const;

  // This rank's batch for the global batch that starts at (or, with drop_last, after a dropped tail
  // following) `position`. Caches the last epoch's permutation, so it is not thread-safe.
  LocalBatch batch_at(int64_t position);

 private:
  SamplerOptions options_;
  int64_t cached_epoch_ = -1;
  std::vector<int64_t> cached_order_;
};

}  // namespace cagcl::data
