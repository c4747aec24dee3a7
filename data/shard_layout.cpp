#include "data/shard_layout.hpp"

#include <cmath>
#include <set>

#include <fmt/format.h>

#include "common/error.hpp"

namespace cagcl::data {
namespace {

template <class Error>
[[noreturn]] void fail(const std::string& where, const std::string& field, const std::string& what) {
  throw Error(fmt::format("{}: field '{}': {}", where, field, what));
}

template <class Error, class V>
void check_size(const V& v, int64_t expected, const std::string& where, const std::string& field) {
  if (static_cast<int64_t>(v.size()) != expected) {
    fail<Error>(where, field, fmt::format("expected {} entries, found {}", expected, v.size()));
  }
}

void check_list(const std::vector<std::string>& names, const std::string& what, const std::string& field,
                int64_t max_count, bool allow_empty) {
  if (!allow_empty && names.empty()) fail<UsageError>(what, field, "must not be empty");
  if (static_cast<int64_t>(names.size()) > max_count) {
    fail<UsageError>(what, field, fmt::format("more than {} entries", max_count));
  }
  std::set<std::string> seen;
  for (const auto& n : names) {
    if (n.empty() || !seen.insert(n).second) fail<UsageError>(what, field, "empty or duplicate name '" + n + "'");
  }
}

template <class Error>
void validate_shape(const Sample& s, const std::string& where) {
  int64_t voxels = 1;
  for (int i = 0; i < 3; ++i) {
    const int64_t d = s.shape[static_cast<size_t>(i)];
    if (d < 1 || d > kMaxDim) {
      fail<Error>(where, "shape", fmt::format("axis {} is {}, not in [1, {}]", i, d, kMaxDim));
    }
    voxels *= d;  // cannot overflow: each factor <= 4096
  }
  if (voxels > kMaxVoxels) {
    fail<Error>(where, "shape", fmt::format("{} voxels exceed the limit {}", voxels, kMaxVoxels));
  }
  for (double sp : s.spacing) {
    if (!std::isfinite(sp) || sp <= 0) fail<Error>(where, "spacing", fmt::format("{} is not a positive length", sp));
  }
}

template <class Error>
void validate_voxels(const Sample& s, const ShardLayout& layout, const std::string& where) {
  check_size<Error>(s.volume, s.voxels(), where, "volume");
  check_size<Error>(s.anatomy, s.voxels(), where, "anatomy");
  const auto max_label = static_cast<uint8_t>(layout.num_anatomies());
  for (size_t i = 0; i < s.anatomy.size(); ++i) {
    if (s.anatomy[i] > max_label) {
      fail<Error>(where, "anatomy",
                  fmt::format("voxel {} has label {} but there are only {} anatomies", i, s.anatomy[i], max_label));
    }
  }
}

template <class Error>
void validate_report(const Sample& s, const ShardLayout& layout, const std::string& where) {
  const int64_t A = layout.num_anatomies();
  check_size<Error>(s.conclusion, A, where, "conclusion");
  check_size<Error>(s.description, A, where, "description");
  check_size<Error>(s.normal, A, where, "normal");
  check_size<Error>(s.text_id, A, where, "text_id");
  check_size<Error>(s.labels, static_cast<int64_t>(layout.labels.size()), where, "labels");
  int64_t sentences = 0;
  for (size_t a = 0; a < static_cast<size_t>(A); ++a) {
    const bool has_text = !s.conclusion[a].empty() || !s.description[a].empty();
    // METHOD.md: an anatomy is normal exactly when it has no sentence.
    if (s.normal[a] != (has_text ? 0 : 1)) {
      fail<Error>(where, fmt::format("normal[{}]", a),
                  fmt::format("is {} but anatomy '{}' has {} sentences", s.normal[a], layout.anatomies[a],
                              s.conclusion[a].size() + s.description[a].size()));
    }
    sentences += static_cast<int64_t>(s.conclusion[a].size() + s.description[a].size());
  }
  if (sentences > kMaxSentences) fail<Error>(where, "sentences", fmt::format("more than {}", kMaxSentences));
  for (size_t i = 0; i < s.labels.size(); ++i) {
    if (s.labels[i] > 1) fail<Error>(where, fmt::format("labels[{}]", i), fmt::format("{} is not 0 or 1", s.labels[i]));
  }
}

}  // namespace

void ShardLayout::validate(const std::string& what) const {
  check_list(anatomies, what, "anatomies", kMaxAnatomies, false);
  check_list(labels, what, "labels", kMaxLabels, true);
  if (first_index < 0) fail<UsageError>(what, "first_index", "must not be negative");
}

bool same_content(const ShardLayout& a, const ShardLayout& b) {
  return a.anatomies == b.anatomies && a.labels == b.labels && a.compression == b.compression;
}

template <class Error>
void validate_sample(const Sample& s, const ShardLayout& layout, const std::string& where, bool check_voxels) {
  validate_shape<Error>(s, where);
  if (check_voxels) validate_voxels<Error>(s, layout, where);
  validate_report<Error>(s, layout, where);
}

template void validate_sample<UsageError>(const Sample&, const ShardLayout&, const std::string&, bool);
template void validate_sample<DataError>(const Sample&, const ShardLayout&, const std::string&, bool);

}  // namespace cagcl::data
