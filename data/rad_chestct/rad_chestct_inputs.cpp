#include "data/rad_chestct/rad_chestct_inputs.hpp"

#include <fmt/format.h>

#include "common/error.hpp"
#include "data/convert/file_walk.hpp"

namespace cagcl::data::rad_chestct {
namespace {

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

std::string strip_npz_suffix(const std::string& file_name) {
  return convert::ends_with(file_name, kVolumeSuffix) ? file_name.substr(0, file_name.size() - 4) : file_name;
}

std::string split_of(const std::string& volume, const std::filesystem::path& label_file) {
  const std::string file = label_file.filename().string();
  for (const auto& [prefix, split] :
       {std::pair<const char*, const char*>{"imgtrain_", "train"}, {"imgvalid_", "valid"}, {"imgtest_", "test"}})
    if (starts_with(file, prefix)) return split;
  for (const auto& [prefix, split] :
       {std::pair<const char*, const char*>{"trn", "train"}, {"val", "valid"}, {"tst", "test"}})
    if (starts_with(volume, prefix)) return split;
  throw DataError(
      fmt::format("volume '{}': cannot tell its split (label file {} is not img{{train,valid,test}}_..., "
                  "and the name does not start with trn, val or tst)",
                  volume, label_file.string()));
}

RadChestCtInputs RadChestCtInputs::discover(const std::filesystem::path& root, const std::filesystem::path& labels_dir,
                                            const std::filesystem::path& masks) {
  RadChestCtInputs in;
  in.root = root;
  in.masks = masks;
  in.labels_dir = labels_dir;
  std::error_code ec;
  if (!std::filesystem::is_directory(root, ec)) throw IoError(root.string() + ": --root is not a directory");
  if (!masks.empty() && !std::filesystem::is_directory(masks, ec))
    throw IoError(masks.string() + ": --masks is not a directory");
  convert::for_each_file_with_suffix(root, kVolumeSuffix, [&](const std::filesystem::path& p, const std::string& name) {
    in.volumes[name].push_back(p);
  });
  if (in.volumes.empty()) throw IoError(fmt::format("{}: no *{} volume under it", root.string(), kVolumeSuffix));
  if (!masks.empty())
    convert::for_each_file_with_suffix(masks, ".nii.gz", [&](const std::filesystem::path& p, const std::string& name) {
      in.mask_files[name].push_back(p);
    });
  in.labels.load(labels_dir, kLabelFileSuffix, /*recursive=*/true);
  return in;
}

std::vector<std::string> RadChestCtInputs::volume_names() const {
  std::vector<std::string> names;
  for (const auto& kv : volumes) names.push_back(kv.first);
  return names;
}

}  // namespace cagcl::data::rad_chestct
