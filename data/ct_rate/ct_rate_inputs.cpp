#include "data/ct_rate/ct_rate_inputs.hpp"

#include <fmt/format.h>

#include "common/error.hpp"
#include "data/convert/file_walk.hpp"
#include "data/ct_rate/ct_rate_names.hpp"

namespace cagcl::data::ct_rate {

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
    convert::for_each_file_with_suffix(
        root / split, kNiftiSuffix,
        [&](const std::filesystem::path& p, const std::string& name) { in.volumes[name].push_back(p); });
  }
  if (!any_split)
    throw IoError(fmt::format("{}: holds neither train/ nor valid/ (CT-RATE's volume folders)", root.string()));
  if (in.volumes.empty()) throw IoError(fmt::format("{}: no *.nii.gz volume under train/ or valid/", root.string()));
  convert::for_each_file_with_suffix(masks, kNiftiSuffix, [&](const std::filesystem::path& p, const std::string& name) {
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
