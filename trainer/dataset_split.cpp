#include "trainer/dataset_split.hpp"

#include <exception>
#include <functional>

#include "common/error.hpp"
#include "trainer/collective_strings.hpp"
#include "trainer/work_together.hpp"

namespace cagcl::trainer {

namespace {

// Runs `phase` on every rank (long work: no failure timeout meanwhile); then every rank learns of any rank's
// failure and stops with it, its own first.
void phase_together(Communicator& comm, const std::function<void()>& phase) {
  std::exception_ptr failure;
  std::string reason;
  work_together(comm, [&] {
    try {
      phase();
    } catch (const std::exception& e) {
      failure = std::current_exception();
      reason = e.what();
    }
  });
  const auto reasons = all_gather_strings(comm, reason);
  if (failure) std::rethrow_exception(failure);
  for (int r = 0; r < comm.size(); ++r)
    if (!reasons[r].empty())
      throw DataError("rank " + std::to_string(r) + " could not open the dataset: " + reasons[r]);
}

}  // namespace

std::shared_ptr<const data::Dataset> open_dataset_together(Communicator& comm, const std::filesystem::path& dir,
                                                           data::DatasetOptions options) {
  options.verify_share_index = comm.rank();
  options.verify_share_count = comm.size();
  // Each shard is hashed by one rank, and parsed by all: only after every hash is known good, since the checksum
  // is what keeps a damaged file away from libhdf5.
  data::Dataset::Verified verified;
  phase_together(comm, [&] { verified = data::Dataset::verify(dir, options); });
  std::shared_ptr<const data::Dataset> dataset;
  phase_together(comm, [&] {
    dataset = std::make_shared<const data::Dataset>(data::Dataset::open_verified(dir, std::move(verified)));
  });
  return dataset;
}

SplitIndex index_splits(const data::Dataset& dataset) {
  SplitIndex index;
  if (!dataset.manifest().has_reports) {
    throw UsageError(dataset.dir().string() +
                     ": this dataset has no report text (dataset.json: \"reports\": false, as "
                     "converted from Rad-ChestCT); it is for `cagcl eval`, not for training");
  }
  for (int64_t i = 0; i < dataset.size(); ++i) {
    const auto sample = dataset.read_metadata(i);
    if (sample.split == "train")
      index.train.push_back(i);
    else if (sample.split == "valid")
      index.valid.push_back(i);
    else if (sample.split == "test")
      ++index.held_out;
    else
      throw DataError(dataset.dir().string() + ": sample " + std::to_string(i) + " ('" + sample.name + "'): split '" +
                      sample.split + "' is not 'train', 'valid' or 'test'");
  }
  return index;
}

data::SampleSource subset_source(const data::Dataset& dataset, std::shared_ptr<const std::vector<int64_t>> indices) {
  auto inner = data::dataset_source(dataset);
  return [inner, indices](int64_t position) {
    if (position < 0 || position >= static_cast<int64_t>(indices->size()))
      throw DataError("split position " + std::to_string(position) + " out of range");
    return inner((*indices)[static_cast<size_t>(position)]);
  };
}

std::vector<int64_t> subset_shard_sizes(const data::Dataset& dataset, const std::vector<int64_t>& indices) {
  std::vector<int64_t> sizes(dataset.shards().size(), 0);
  for (const int64_t i : indices) ++sizes[dataset.locate(i).first];
  std::vector<int64_t> nonempty;
  for (const int64_t s : sizes)
    if (s > 0) nonempty.push_back(s);
  return nonempty;
}

}  // namespace cagcl::trainer
