#include "data/ct_rate/ct_rate_names.hpp"

#include <regex>

namespace cagcl::data::ct_rate {

std::string strip_nifti_suffix(const std::string& file_name) {
  const std::string suffix = kNiftiSuffix;
  if (file_name.size() > suffix.size() &&
      file_name.compare(file_name.size() - suffix.size(), suffix.size(), suffix) == 0)
    return file_name.substr(0, file_name.size() - suffix.size());
  return file_name;
}

std::optional<VolumeName> parse_volume_name(const std::string& name) {
  static const std::regex pattern("^(train|valid)_([0-9]+)_([a-z]+)_([0-9]+)$");
  const std::string stem = strip_nifti_suffix(name);
  std::smatch m;
  if (!std::regex_match(stem, m, pattern)) return std::nullopt;
  VolumeName v;
  v.name = stem;
  v.split = m[1];
  v.patient = v.split + "_" + std::string(m[2]);
  v.scan = v.patient + "_" + std::string(m[3]);
  return v;
}

}  // namespace cagcl::data::ct_rate
