#include "data/shard_reader.hpp"

#include <fmt/format.h>

#include "common/error.hpp"
#include "data/hdf5.hpp"
#include "data/raw_volume_reader.hpp"
#include "data/schema.hpp"
#include "data/shard_format.hpp"

namespace cagcl::data {
namespace sf = shard_format;

namespace {

// Upper bound on samples per shard accepted from a file, so a hostile count cannot drive huge loops.
constexpr int64_t kMaxShardSamples = int64_t{1} << 32;

ShardLayout read_layout(hid_t file, const h5::Where& w) {
  // The version first: it is an integer, and an older shard's strings are of a kind this build does not read.
  const int64_t version = h5::read_attr_int64(file, sf::kAttrSchemaVersion, w);
  if (version != kSchemaVersion) {
    throw DataError(
        fmt::format("{}: member '/@{}': unsupported version {} (this build reads {}; convert the data "
                    "again)",
                    w.file, sf::kAttrSchemaVersion, version, kSchemaVersion));
  }
  const std::string format = h5::read_attr_string(file, sf::kAttrFormat, w);
  if (format != sf::kFormat) {
    throw DataError(
        fmt::format("{}: member '/@{}': expected '{}', found '{}'", w.file, sf::kAttrFormat, sf::kFormat, format));
  }
  ShardLayout layout;
  layout.anatomies = h5::read_attr_strings(file, sf::kAttrAnatomies, w, kMaxAnatomies);
  layout.labels = h5::read_attr_strings(file, sf::kAttrLabels, w, kMaxLabels);
  const std::string compression = h5::read_attr_string(file, sf::kAttrCompression, w);
  try {
    layout.compression = compression_from_string(compression);
  } catch (const UsageError& e) {
    throw DataError(fmt::format("{}: member '/@{}': {}", w.file, sf::kAttrCompression, e.what()));
  }
  try {
    layout.validate(w.file);  // its message names the list ("FILE: field 'anatomies': ...")
  } catch (const UsageError& e) {
    throw DataError(e.what());
  }
  layout.first_index = h5::read_attr_int64(file, sf::kAttrFirstIndex, w);
  if (layout.first_index < 0) {
    throw DataError(fmt::format("{}: member '/@{}': negative", w.file, sf::kAttrFirstIndex));
  }
  return layout;
}

int64_t read_sample_count(hid_t file, hid_t samples, const h5::Where& w) {
  const int64_t n = h5::read_attr_int64(file, sf::kAttrNumSamples, w);
  if (n < 0 || n > kMaxShardSamples) {
    throw DataError(fmt::format("{}: member '/@{}': {} is not a valid sample count", w.file, sf::kAttrNumSamples, n));
  }
  H5G_info_t info{};
  if (H5Gget_info(samples, &info) < 0) h5::fail_data(w.child(sf::kSamplesGroup), "cannot read group info");
  if (static_cast<int64_t>(info.nlinks) != n) {
    throw DataError(fmt::format("{}: member '{}': holds {} samples but '/@{}' says {}", w.file, sf::kSamplesGroup,
                                info.nlinks, sf::kAttrNumSamples, n));
  }
  return n;
}

// The voxel shape, validated against the global limits before anything is allocated for it.
std::array<int64_t, 3> volume_shape(hid_t dset, const h5::Where& w) {
  const h5::Dims dims = h5::checked_shape(dset, w, h5::Dtype::i16, 3, static_cast<uint64_t>(kMaxVoxels));
  std::array<int64_t, 3> shape{};
  for (size_t i = 0; i < 3; ++i) {
    if (dims[i] < 1 || dims[i] > static_cast<hsize_t>(kMaxDim)) {
      h5::fail_data(w, fmt::format("axis {} has length {}, not in [1, {}]", i, dims[i], kMaxDim));
    }
    shape[i] = static_cast<int64_t>(dims[i]);
  }
  return shape;
}

void read_sentences(hid_t group, const h5::Where& w, size_t num_anatomies, Sample& s) {
  auto text = h5::read_strings(group, sf::kSentences, w, kMaxSentences);
  auto anatomy = h5::read_exact<uint8_t>(group, sf::kSentenceAnatomy, w, {text.size()});
  auto section = h5::read_exact<uint8_t>(group, sf::kSentenceSection, w, {text.size()});
  s.conclusion.assign(num_anatomies, {});
  s.description.assign(num_anatomies, {});
  for (size_t i = 0; i < text.size(); ++i) {
    if (anatomy[i] < 1 || anatomy[i] > num_anatomies) {
      h5::fail_data(w.child(sf::kSentenceAnatomy),
                    fmt::format("entry {} is {}, not an anatomy index in [1, {}]", i, anatomy[i], num_anatomies));
    }
    if (section[i] != sf::kSectionConclusion && section[i] != sf::kSectionDescription) {
      h5::fail_data(w.child(sf::kSentenceSection), fmt::format("entry {} is {}, not 0 or 1", i, section[i]));
    }
    auto& lists = section[i] == sf::kSectionConclusion ? s.conclusion : s.description;
    lists[anatomy[i] - 1u].push_back(std::move(text[i]));
  }
}

}  // namespace

std::string sample_group_path(int64_t local_index) { return fmt::format("{}/{:06d}", sf::kSamplesGroup, local_index); }

struct ShardReader::Impl {
  std::filesystem::path path;
  h5::Handle file;
  h5::Handle samples;
  ShardLayout layout;
  int64_t size = 0;

  h5::Where sample_where(int64_t index) const {
    if (index < 0 || index >= size) {
      throw DataError(fmt::format("{}: sample index {} out of range [0, {})", path.string(), index, size));
    }
    return {path.string(), sample_group_path(index)};
  }

  h5::Handle open_sample(const h5::Where& w) const { return h5::open_group(file, w.member, {w.file, ""}); }

  Sample read(int64_t index, bool with_voxels) const {
    h5::init();
    const h5::Where w = sample_where(index);
    h5::Handle g = open_sample(w);
    const size_t A = layout.anatomies.size();
    Sample s;
    s.name = h5::read_attr_string(g, sf::kAttrName, w);
    s.patient = h5::read_attr_string(g, sf::kAttrPatient, w);
    s.split = h5::read_attr_string(g, sf::kAttrSplit, w);
    {
      const h5::Where vw = w.child(sf::kVolume);
      h5::Handle volume = h5::open_dataset(g, sf::kVolume, w);
      s.shape = volume_shape(volume, vw);
      if (with_voxels) h5::read_dataset(volume, vw, static_cast<size_t>(s.voxels()), s.volume);
    }
    const h5::Dims dims{static_cast<hsize_t>(s.shape[0]), static_cast<hsize_t>(s.shape[1]),
                        static_cast<hsize_t>(s.shape[2])};
    if (with_voxels) s.anatomy = h5::read_exact<uint8_t>(g, sf::kAnatomy, w, dims);
    const auto spacing = h5::read_exact<double>(g, sf::kSpacing, w, {3});
    std::copy(spacing.begin(), spacing.end(), s.spacing.begin());
    s.labels = h5::read_exact<uint8_t>(g, sf::kLabels, w, {layout.labels.size()});
    s.normal = h5::read_exact<uint8_t>(g, sf::kNormal, w, {A});
    s.text_id = h5::read_exact<uint64_t>(g, sf::kTextId, w, {A});
    read_sentences(g, w, A, s);
    s.findings = h5::read_string(g, sf::kFindings, w);
    s.impression = h5::read_string(g, sf::kImpression, w);
    validate_sample<DataError>(s, layout, w.prefix(), with_voxels);
    return s;
  }
};

ShardReader::ShardReader(std::filesystem::path path) : impl_(std::make_unique<Impl>()) {
  impl_->path = std::move(path);
  const h5::Where w{impl_->path.string(), ""};
  impl_->file = h5::open_file_readonly(impl_->path);
  impl_->layout = read_layout(impl_->file, w);
  impl_->samples = h5::open_group(impl_->file, sf::kSamplesGroup, w);
  impl_->size = read_sample_count(impl_->file, impl_->samples, w);
}

ShardReader::ShardReader(ShardReader&&) noexcept = default;
ShardReader& ShardReader::operator=(ShardReader&&) noexcept = default;
ShardReader::~ShardReader() = default;

int64_t ShardReader::size() const { return impl_->size; }
const ShardLayout& ShardReader::layout() const { return impl_->layout; }
const std::filesystem::path& ShardReader::path() const { return impl_->path; }
hid_t ShardReader::file_handle() const { return impl_->file; }

// Not H5Dread: it copies whole chunks out of stored chunks that decode short (libhdf5's H5D__select_read
// over-read, found by fuzzing). Our decoder checks every size.
Sample ShardReader::read(int64_t local_index) const { return read_sample_lock_free(*this, local_index); }
Sample ShardReader::read_metadata(int64_t local_index) const { return impl_->read(local_index, false); }
Sample ShardReader::read_with_h5dread(int64_t local_index) const { return impl_->read(local_index, true); }

ShardReader::Storage ShardReader::storage() const {
  h5::init();
  Storage st;
  for (int64_t i = 0; i < impl_->size; ++i) {
    const h5::Where w = impl_->sample_where(i);
    h5::Handle g = impl_->open_sample(w);
    for (const char* name : {sf::kVolume, sf::kAnatomy}) {
      h5::Handle d = h5::open_dataset(g, name, w);
      h5::Handle type(H5Dget_type(d), H5Tclose);
      h5::Handle space(H5Dget_space(d), H5Sclose);
      st.raw_bytes += static_cast<uint64_t>(H5Sget_simple_extent_npoints(space)) * H5Tget_size(type);
      st.stored_bytes += H5Dget_storage_size(d);
    }
  }
  return st;
}

}  // namespace cagcl::data
