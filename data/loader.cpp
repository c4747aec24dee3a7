#include <torch/torch.h>

#include "data/loader.hpp"

#include <exception>

#include <fmt/format.h>

#include "common/error.hpp"
#include "data/dataset.hpp"
#include "data/raw_volume_reader.hpp"
#include "data/volume_transforms.hpp"

namespace cagcl::data {

// A failure of one row, kept until next() reaches its batch.
struct Loader::Slot {
  std::exception_ptr error;
  std::string context;  // "sample 17 ('train_3_a_1')"
  int64_t seen = 0;     // samples read for this row, bad ones included
  int64_t bad = 0;      // of which failed and were skipped
};

struct Loader::Pending {
  Batch batch;
  LocalBatch plan;
  int64_t next_row = 0;   // rows claimed so far
  int64_t remaining = 0;  // rows not yet finished
  std::vector<Slot> slots;
};

SampleSource dataset_source(const Dataset& dataset) {
  return [&dataset](int64_t global_index) {
    const auto [shard, local] = dataset.locate(global_index);
    return read_sample_lock_free(dataset.shards()[shard], local);
  };
}

Loader::Loader(SampleSource source, Sampler sampler, int64_t start_position, LoaderOptions options, TextPipeline text)
    : source_(std::move(source)), sampler_(std::move(sampler)), options_(options), text_(std::move(text)) {
  const auto bad = [](const std::string& what) { throw UsageError("loader: " + what); };
  if (options_.workers < 1) bad("data.workers must be >= 1");
  if (options_.prefetch < 1) bad("data.prefetch must be >= 1");
  if (options_.num_anatomies < 1 || options_.num_labels < 0) bad("num_anatomies must be >= 1");
  for (int64_t c : options_.crop)
    if (c < 1) bad("data.crop must be positive");
  if (!(options_.hu_max > options_.hu_min)) bad("data.hu_max must exceed data.hu_min");
  if (!text_.text || !text_.encode || text_.max_length < 1) bad("text pipeline incomplete (text, encode, max_length)");
  if (options_.max_bad_fraction < 0 || options_.max_bad_fraction > 1) bad("data.max_bad_fraction must be in [0, 1]");
  if (start_position < 0) bad(fmt::format("negative start position {}", start_position));
  claim_position_ = position_ = start_position;
  for (int64_t i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { worker_loop(); });
}

Loader::~Loader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  work_cv_.notify_all();
  ready_cv_.notify_all();
  for (auto& t : workers_) t.join();
}

bool Loader::claim(Pending*& batch, int64_t& row) {
  const int64_t b = sampler_.options().batch_size;
  for (auto& p : window_) {
    if (p->next_row < b) {
      batch = p.get();
      row = p->next_row++;
      return true;
    }
  }
  if (static_cast<int64_t>(window_.size()) >= options_.prefetch) return false;
  auto p = std::make_unique<Pending>();
  p->plan = sampler_.batch_at(claim_position_);
  claim_position_ = p->plan.next_position;
  const auto [D, H, W] = options_.crop;
  const int64_t A = options_.num_anatomies, L = text_.max_length;
  Batch& out = p->batch;
  out.image = torch::empty({b, 1, D, H, W}, torch::kFloat32);
  out.anatomy = torch::empty({b, D, H, W}, torch::kUInt8);
  out.intact = torch::zeros({b, A}, torch::kBool);
  out.normal = torch::zeros({b, A}, torch::kBool);
  out.text_id = torch::zeros({b, A}, torch::kInt64);
  out.token_ids = torch::zeros({b, A, L}, torch::kInt64);
  out.attention = torch::zeros({b, A, L}, torch::kInt64);
  out.labels = torch::zeros({b, options_.num_labels}, torch::kUInt8);
  out.valid = torch::zeros({b}, torch::kBool);
  out.indices.assign(static_cast<size_t>(b), -1);
  out.names.assign(static_cast<size_t>(b), "");
  out.epoch = p->plan.epoch;
  out.position = p->plan.position;
  out.next_position = p->plan.next_position;
  p->remaining = b;
  p->slots.resize(static_cast<size_t>(b));
  batch = p.get();
  row = p->next_row++;
  window_.push_back(std::move(p));
  return true;
}

void Loader::worker_loop() {
  for (;;) {
    Pending* batch = nullptr;
    int64_t row = 0;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      try {
        work_cv_.wait(lock, [&] { return stop_ || fatal_ || claim(batch, row); });
      } catch (...) {  // nothing may escape a thread; next() rethrows it
        fatal_ = std::current_exception();
      }
      if (stop_ || fatal_) {
        ready_cv_.notify_all();
        return;
      }
    }
    fill_row(*batch, row);  // writes only this row's memory: no lock
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (--batch->remaining == 0) ready_cv_.notify_all();
    }
  }
}

void Loader::fill_row(Pending& p, int64_t row) {
  Batch& out = p.batch;
  Slot& slot = p.slots[static_cast<size_t>(row)];
  const size_t r = static_cast<size_t>(row);
  const int64_t requested = p.plan.indices[r];
  const auto [D, H, W] = options_.crop;
  const int64_t voxels = D * H * W, A = options_.num_anatomies, L = text_.max_length;
  float* image = out.image.data_ptr<float>() + row * voxels;
  uint8_t* anatomy = out.anatomy.data_ptr<uint8_t>() + row * voxels;
  if (requested < 0) {  // evaluation padding: an all-zero, invalid row
    std::fill(image, image + voxels, 0.0f);
    std::fill(anatomy, anatomy + voxels, uint8_t{0});
    return;
  }
  const int64_t n = sampler_.options().num_samples;
  int64_t index = requested;
  slot.context = fmt::format("sample {}", index);
  try {
    Sample s;
    // A bad sample is replaced by the next index (mod N) that reads: deterministic, whatever the timing.
    for (int64_t attempt = 0;; ++attempt) {
      index = (requested + attempt) % n;
      slot.context = fmt::format("sample {}", index);
      ++slot.seen;
      try {
        s = source_(index);
        break;
      } catch (const std::exception&) {
        if (!options_.skip_bad_samples || attempt + 1 >= options_.max_replacements) throw;
        ++slot.bad;
      }
    }
    slot.context = fmt::format("sample {} ('{}')", index, s.name);
    if (static_cast<int64_t>(s.normal.size()) != A || static_cast<int64_t>(s.text_id.size()) != A) {
      throw DataError(fmt::format("has {} anatomies, the loader expects {}", s.normal.size(), A));
    }
    if (static_cast<int64_t>(s.labels.size()) != options_.num_labels) {
      throw DataError(fmt::format("has {} labels, the loader expects {}", s.labels.size(), options_.num_labels));
    }
    const Shape3 shape = s.shape, crop = options_.crop;
    const Shape3 padded = padded_shape(shape, crop);
    std::array<bool, 3> flip{false, false, false};
    CropBox box;
    if (options_.train) {
      const Augmentation aug =
          random_augmentation(padded, crop, options_.flip_prob, options_.seed, p.plan.epoch, index);
      box = aug.box;
      flip = aug.flip;
    } else if (options_.eval_anatomy > 0) {
      box = anatomy_crop(s.anatomy.data(), shape, crop, static_cast<uint8_t>(options_.eval_anatomy), crop);
    } else {
      box = center_crop(padded, crop);
    }
    crop_flip_window(s.volume.data(), s.anatomy.data(), shape, crop, box, flip, options_.hu_min, options_.hu_max, image,
                     anatomy);
    const auto volume_faces = labels_on_faces(s.anatomy.data(), shape);
    const std::vector<uint8_t> intact = intact_flags(anatomy, crop, A, &volume_faces);
    bool* intact_row = out.intact.data_ptr<bool>() + row * A;
    bool* normal_row = out.normal.data_ptr<bool>() + row * A;
    int64_t* id_row = out.text_id.data_ptr<int64_t>() + row * A;
    for (int64_t a = 0; a < A; ++a) {
      const size_t k = static_cast<size_t>(a);
      intact_row[a] = intact[k] != 0;
      normal_row[a] = s.normal[k] != 0;
      id_row[a] = static_cast<int64_t>(s.text_id[k]);  // same 64 bits; compared for equality only
      const std::string t = text_.text(s, k, p.plan.epoch, index, options_.train);
      text_.encode(t, L, out.token_ids.data_ptr<int64_t>() + (row * A + a) * L,
                   out.attention.data_ptr<int64_t>() + (row * A + a) * L);
    }
    std::copy(s.labels.begin(), s.labels.end(), out.labels.data_ptr<uint8_t>() + row * options_.num_labels);
    out.valid.data_ptr<bool>()[row] = true;
    out.indices[r] = index;
    out.names[r] = s.name;
  } catch (...) {
    slot.error = std::current_exception();
  }
}

namespace {
// Rethrows `error` as the same project error type with `prefix` in front of its message.
[[noreturn]] void rethrow_with(const std::exception_ptr& error, const std::string& prefix) {
  try {
    std::rethrow_exception(error);
  } catch (const DataError& e) {
    throw DataError(prefix + e.what());
  } catch (const IoError& e) {
    throw IoError(prefix + e.what());
  } catch (const UsageError& e) {
    throw UsageError(prefix + e.what());
  } catch (const std::exception& e) {
    throw Error(prefix + e.what());
  } catch (...) {
    throw Error(prefix + "unknown exception");
  }
}
}  // namespace

Batch Loader::next() {
  std::unique_ptr<Pending> p;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    // Make sure the front batch exists and is being worked on (the window may be empty at start).
    work_cv_.notify_all();
    ready_cv_.wait(lock, [&] { return stop_ || fatal_ || (!window_.empty() && window_.front()->remaining == 0); });
    if (fatal_) rethrow_with(fatal_, "loader: ");
    if (stop_) throw Error("loader: stopped");
    p = std::move(window_.front());
    window_.pop_front();
    position_ = p->plan.next_position;
    for (const Slot& slot : p->slots) {
      samples_read_ += slot.seen;
      p->batch.bad_samples += slot.bad;
    }
    bad_samples_ += p->batch.bad_samples;
  }
  work_cv_.notify_all();  // a window place is free
  for (const Slot& slot : p->slots) {
    if (slot.error) rethrow_with(slot.error, "loader: " + slot.context + ": ");
  }
  if (options_.skip_bad_samples &&
      static_cast<double>(bad_samples_) > options_.max_bad_fraction * static_cast<double>(samples_read_)) {
    throw DataError(
        fmt::format("loader: {} of {} samples read were bad, more than data.max_bad_fraction = {}; "
                    "stopping",
                    bad_samples_, samples_read_, options_.max_bad_fraction));
  }
  return std::move(p->batch);
}

int64_t Loader::position() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return position_;
}
int64_t Loader::samples_read() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return samples_read_;
}
int64_t Loader::bad_samples() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return bad_samples_;
}

}  // namespace cagcl::data
