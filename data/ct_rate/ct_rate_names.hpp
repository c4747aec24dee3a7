#pragma once
// CT-RATE's naming (docs/converting.md): volumes "<split>_<patient>_<scan letter>_<reconstruction>" such as
// "train_12_a_1", stored as <root>/<split>/<split>_<patient>/<split>_<patient>_<scan>/<name>.nii.gz; the
// CSVs name volumes in a "VolumeName" column with the ".nii.gz" suffix.
#include <optional>
#include <string>

namespace cagcl::data::ct_rate {

inline constexpr const char* kVolumeNameColumn = "VolumeName";
inline constexpr const char* kNiftiSuffix = ".nii.gz";

struct VolumeName {
  std::string name;     // "train_12_a_1"
  std::string split;    // "train" or "valid"
  std::string patient;  // "train_12"
  std::string scan;     // "train_12_a"
};

// nullopt when `name` (with or without ".nii.gz") does not follow the pattern.
std::optional<VolumeName> parse_volume_name(const std::string& name);

// "train_12_a_1.nii.gz" -> "train_12_a_1"; other strings unchanged.
std::string strip_nifti_suffix(const std::string& file_name);

}  // namespace cagcl::data::ct_rate
