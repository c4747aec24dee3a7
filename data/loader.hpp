#pragma once
// The training-side data loader of one rank: N worker threads read, decode, crop/flip/window and tokenize
// samples into a bounded queue of batches, which next() hands out in sampler order.
//
// Determinism: the work unit is one (batch, row) slot; its content is a pure function of the sample index,
// the epoch and the seed (data/keyed_rng.hpp), and each slot writes only its own row, so the batches are
// identical for any worker count and thread timing. Bounded: at most `prefetch` batches exist beyond the
// ones handed out. Errors: an exception in a worker is stored with its slot and rethrown by next() when that
// batch is due, prefixed with the sample index (and name when known); it never hangs. The destructor stops
// and joins the workers, also mid-epoch. Rules in docs/data-pipeline.md.
#include <array>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "data/batch.hpp"
#include "data/sample.hpp"
#include "data/sampler.hpp"

namespace cagcl::data {

class Dataset;

// The text side, injected so the loader does not depend on the tokenizer: `text` returns the (possibly
// augmented) text of one anatomy (0-based) of a sample; `encode` writes exactly max_length token ids and
// attention-mask values. Both are called from worker threads concurrently and must be thread-safe.
struct TextPipeline {
  std::function<std::string(const Sample&, size_t anatomy, int64_t epoch, int64_t sample_index, bool train)> text;
  std::function<void(const std::string&, int64_t max_length, int64_t* ids, int64_t* mask)> encode;
  int64_t max_length = 0;
};

// Reads one sample by global index; thread-safe. Failures are exceptions naming the file/member.
using SampleSource = std::function<Sample(int64_t global_index)>;
// The dataset's samples, voxels decoded outside the HDF5 lock (raw_volume_reader.hpp). `dataset` must
// outlive the source.
SampleSource dataset_source(const Dataset& dataset);

struct LoaderOptions {
  bool train = true;                          // random crop + flips; false: centre (or anatomy) crop, no flip
  std::array<int64_t, 3> crop{48, 112, 112};  // also the minimum size volumes are padded to
  double hu_min = -1150, hu_max = 350;        // data.hu_min, data.hu_max
  double flip_prob = 0.2;                     // data.flip_prob
  int64_t workers = 2;                        // data.workers
  int64_t prefetch = 4;                       // data.prefetch: batches prepared ahead
  uint64_t seed = 0;                          // train.seed
  bool skip_bad_samples = false;              // data.skip_bad_samples
  double max_bad_fraction = 0.01;             // data.max_bad_fraction
  int64_t max_replacements = 16;              // consecutive bad candidates tried for one row before giving up
  int64_t eval_anatomy = 0;                   // evaluation: > 0 = crop centred on this anatomy (1-based)
  int64_t num_anatomies = 0;                  // A (dataset anatomy list)
  int64_t num_labels = 0;                     // label vector length
};

class Loader {
 public:
  // Starts the workers at global sample position `start_position` (0, or a checkpoint's value).
  // UsageError naming the option on a bad one.
  Loader(SampleSource source, Sampler sampler, int64_t start_position, LoaderOptions options, TextPipeline text);
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  // The next batch in sampler order; blocks until it is complete. Rethrows a worker's error (same type:
  // DataError, IoError, UsageError or Error) prefixed with "loader: sample INDEX ('NAME'): ". Throws
  // DataError when skipped bad samples exceed data.max_bad_fraction of the samples read.
  Batch next();

  int64_t position() const;      // where the batch after the last one returned starts (for checkpoints)
  int64_t samples_read() const;  // rows read so far by returned batches, bad ones included
  int64_t bad_samples() const;   // of which were bad and skipped

 private:
  struct Slot;
  struct Pending;
  void worker_loop();
  bool claim(Pending*& batch, int64_t& row);  // under lock
  void fill_row(Pending& batch, int64_t row);

  SampleSource source_;
  Sampler sampler_;
  LoaderOptions options_;
  TextPipeline text_;

  mutable std::mutex mutex_;
  std::condition_variable work_cv_;              // workers: a slot became claimable, or stop
  std::condition_variable ready_cv_;             // consumer: a batch completed
  std::deque<std::unique_ptr<Pending>> window_;  // batches not yet handed out, in order
  int64_t claim_position_ = 0;                   // sampler position of the next batch to create
  int64_t position_ = 0;
  int64_t samples_read_ = 0;
  int64_t bad_samples_ = 0;
  bool stop_ = false;
  std::exception_ptr fatal_;  // a failure outside any row (e.g. allocating a batch): ends the loader
  std::vector<std::thread> workers_;
};

}  // namespace cagcl::data
