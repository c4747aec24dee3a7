#include "data/ct_rate/ct_rate_inputs.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "common/error.hpp"
#include "data/ct_rate/ct_rate_names.hpp"

namespace cagcl::data::ct_rate {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

template <class F>
void walk_nifti(const std::filesystem::path& dir, F&& on_file) {
  std::error_code ec;
  std::filesystem::recursive_directory_iterator it(dir, std::filesystem::directory_options::skip_permission_denied, ec);
  if (ec) throw IoError(fmt::format("{}: cannot list: {}", dir.string(), ec.message()));
  for (const auto& entry : it) {
    if (!entry.is_regular_file(ec)) continue;
    const std::string name = entry.path().filename().string();
    if (ends_with(name, kNiftiSuffix) && name[0] != '.') on_file(entry.path(), strip_nifti_suffix(name));
  }
}

}  // namespace

convert::CsvIndex volume_name_index() { return convert::CsvIndex(kVolumeNameColumn, strip_nifti_suffix); }

CtRateInputs CtRateInputs::discover(const std::filesystem::path& root, const std::filesystem::path& masks) {
  CtRateInputs in;
  in.root = root;
  in.masks = masks;
  std::error_code ec;
  if (!std::filesystem::is_directory(root, ec)) throw IoError(root.string() + ": --root is not a directory");
  if (!std::filesystem::is_directory(masks, ec)) throw IoError(masks.string() + ": --masks is not a directory");
  bool any_split = false;
  for (const char* split : {"train", "valid"}) {
    if (!std::filesystem::is_directory(root / split, ec)) continue;
    any_split = true;
    walk_nifti(root / split, [&](const std::filesystem::path& p, const std::string& name) { in.volumes[name].push_back(p); });
  }
  if (!any_split) throw IoError(fmt::format("{}: holds neither train/ nor valid/ (CT-RATE's volume folders)", root.string()));
  if (in.volumes.empty()) throw IoError(fmt::format("{}: no *.nii.gz volume under train/ or valid/", root.string()));
  walk_nifti(masks, [&](const std::filesystem::path& p, const std::string& name) {
    // A second mask of the same name is ambiguous: record an empty path, which the converter reports.
    auto [it, inserted] = in.mask_files.emplace(name, p);
    if (!inserted) it->second.clear();
  });
  in.metadata.load(root / "metadata", ".csv");
  in.reports.load(root / "radiology_text_reports", ".csv");
  in.labels.load(root / "multi_abnormality_labels", "_predicted_labels.csv");
  return in;
}

std::vector<std::string> CtRateInputs::volume_names() const {
  std::vector<std::string> names;
  for (const auto& kv : volumes) names.push_back(kv.first);
  return names;
}

}  // namespace cagcl::data::ct_rate
