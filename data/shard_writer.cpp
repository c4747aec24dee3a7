#include "data/shard_writer.hpp"

#include <algorithm>
#include <system_error>

#include <fmt/format.h>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "data/hdf5.hpp"
#include "data/schema.hpp"
#include "data/shard_format.hpp"
#include "data/shard_reader.hpp"

namespace cagcl::data {
namespace sf = shard_format;

namespace {

std::filesystem::path partial_path(const std::filesystem::path& path) {
  std::filesystem::path p = path;
  p += ".partial";
  return p;
}

h5::Handle voxel_dcpl(const Sample& s, Compression compression) {
  h5::Handle dcpl = h5::dataset_creation_plist();
  std::array<hsize_t, 3> chunk{};
  for (size_t i = 0; i < 3; ++i) chunk[i] = std::min<hsize_t>(sf::kChunk[i], static_cast<hsize_t>(s.shape[i]));
  H5Pset_chunk(dcpl, 3, chunk.data());
  add_filters(dcpl, compression);
  return dcpl;
}

// Flattens the per-anatomy sentence lists into the three parallel arrays of the format.
struct FlatSentences {
  std::vector<std::string> text;
  std::vector<uint8_t> anatomy;  // 1-based
  std::vector<uint8_t> section;
};

FlatSentences flatten_sentences(const Sample& s) {
  FlatSentences f;
  for (size_t a = 0; a < s.conclusion.size(); ++a) {
    const auto add = [&](const std::vector<std::string>& list, uint8_t section) {
      for (const auto& text : list) {
        f.text.push_back(text);
        f.anatomy.push_back(static_cast<uint8_t>(a + 1));
        f.section.push_back(section);
      }
    };
    add(s.conclusion[a], sf::kSectionConclusion);
    add(s.description[a], sf::kSectionDescription);
  }
  return f;
}

void write_sample(hid_t group, const h5::Where& w, const Sample& s, Compression compression) {
  const h5::Dims dims{static_cast<hsize_t>(s.shape[0]), static_cast<hsize_t>(s.shape[1]),
                      static_cast<hsize_t>(s.shape[2])};
  h5::Handle dcpl = voxel_dcpl(s, compression);
  h5::write_dataset(group, sf::kVolume, w, dims, s.volume.data(), dcpl);
  h5::write_dataset(group, sf::kAnatomy, w, dims, s.anatomy.data(), dcpl);
  h5::write_dataset(group, sf::kSpacing, w, {3}, s.spacing.data());
  h5::write_dataset(group, sf::kLabels, w, {s.labels.size()}, s.labels.data());
  h5::write_dataset(group, sf::kNormal, w, {s.normal.size()}, s.normal.data());
  h5::write_dataset(group, sf::kTextId, w, {s.text_id.size()}, s.text_id.data());
  const FlatSentences f = flatten_sentences(s);
  h5::write_strings(group, sf::kSentences, w, f.text);
  h5::write_dataset(group, sf::kSentenceAnatomy, w, {f.anatomy.size()}, f.anatomy.data());
  h5::write_dataset(group, sf::kSentenceSection, w, {f.section.size()}, f.section.data());
  h5::write_string(group, sf::kFindings, w, s.findings);
  h5::write_string(group, sf::kImpression, w, s.impression);
  h5::write_attr_string(group, sf::kAttrName, w, s.name);
  h5::write_attr_string(group, sf::kAttrPatient, w, s.patient);
  h5::write_attr_string(group, sf::kAttrSplit, w, s.split);
}

void write_root_attributes(hid_t file, const h5::Where& w, const ShardLayout& layout) {
  h5::write_attr_string(file, sf::kAttrFormat, w, sf::kFormat);
  h5::write_attr_int64(file, sf::kAttrSchemaVersion, w, kSchemaVersion);
  h5::write_attr_strings(file, sf::kAttrAnatomies, w, layout.anatomies);
  h5::write_attr_strings(file, sf::kAttrLabels, w, layout.labels);
  h5::write_attr_string(file, sf::kAttrCompression, w, to_string(layout.compression));
  h5::write_attr_int64(file, sf::kAttrFirstIndex, w, layout.first_index);
}

}  // namespace

struct ShardWriter::Impl {
  std::filesystem::path path;
  std::filesystem::path partial;
  ShardLayout layout;
  h5::Handle file;
  h5::Handle samples;
  int64_t count = 0;
  bool finished = false;

  h5::Where where() const { return {partial.string(), ""}; }

  ~Impl() {
    if (finished) return;
    samples.reset();
    file.reset();
    std::error_code ec;  // best effort: the writer is being abandoned, possibly during unwinding
    std::filesystem::remove(partial, ec);
  }
};

ShardWriter::ShardWriter(std::filesystem::path path, ShardLayout layout) : impl_(std::make_unique<Impl>()) {
  layout.validate(path.string());
  if (layout.compression == Compression::lz4 && !lz4_available()) {
    throw UsageError(path.string() +
                     ": field 'compression': lz4 asked for, but the HDF5 LZ4 filter (32004) "
                     "cannot be loaded");
  }
  impl_->path = std::move(path);
  impl_->partial = partial_path(impl_->path);
  impl_->layout = std::move(layout);
  impl_->file = h5::create_file(impl_->partial);
  write_root_attributes(impl_->file, impl_->where(), impl_->layout);
  impl_->samples = h5::create_group(impl_->file, sf::kSamplesGroup, impl_->where());
}

ShardWriter::ShardWriter(ShardWriter&&) noexcept = default;
ShardWriter& ShardWriter::operator=(ShardWriter&&) noexcept = default;
ShardWriter::~ShardWriter() = default;

void ShardWriter::append(const Sample& sample) {
  if (!impl_ || impl_->finished) throw UsageError("ShardWriter::append: shard already finished");
  const std::string name = sample_group_path(impl_->count);
  validate_sample<UsageError>(sample, impl_->layout,
                              fmt::format("{}: sample {} ('{}')", impl_->path.string(), impl_->count, sample.name),
                              true);
  h5::Handle group = h5::create_group(impl_->file, name, impl_->where());
  write_sample(group, impl_->where().child(name), sample, impl_->layout.compression);
  ++impl_->count;
}

int64_t ShardWriter::finish() {
  if (!impl_ || impl_->finished) throw UsageError("ShardWriter::finish: shard already finished");
  const std::string file = impl_->partial.string();
  h5::write_attr_int64(impl_->file, sf::kAttrNumSamples, impl_->where(), impl_->count);
  impl_->samples.close(file, sf::kSamplesGroup);
  impl_->file.close(file, "");
  fsync_path(impl_->partial);
  durable_rename(impl_->partial, impl_->path);
  impl_->finished = true;
  return impl_->count;
}

int64_t ShardWriter::size() const { return impl_->count; }
const std::filesystem::path& ShardWriter::path() const { return impl_->path; }

}  // namespace cagcl::data
