#pragma once
// What a Rad-ChestCT download holds, indexed by volume name (docs/converting.md, "Rad-ChestCT"): the volumes
// <name>.npz anywhere under ROOT (the release names them trn00001.npz, val..., tst...), the label rows of
// img{train,valid,test}_Abnormality_and_Location_Labels.csv (under LABELS, default ROOT, matched on
// NoteAcc_DEID), and the masks <name>.nii.gz anywhere under MASKS. Problems that concern one volume (no label
// row, no mask, two files of one name) are reported when that volume is converted, so that --skip-bad can
// skip just it.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "data/convert/csv_index.hpp"
#include "data/rad_chestct/rad_chestct_label_map.hpp"

namespace cagcl::data::rad_chestct {

inline constexpr const char* kVolumeSuffix = ".npz";
inline constexpr const char* kLabelFileSuffix = "_Abnormality_and_Location_Labels.csv";

// "trn00001.npz" -> "trn00001"; other strings unchanged.
std::string strip_npz_suffix(const std::string& file_name);

// The split of a volume: from its label file (imgtrain_ -> train, imgvalid_ -> valid, imgtest_ -> test),
// else from its name (trn, val, tst). DataError when neither tells.
std::string split_of(const std::string& volume, const std::filesystem::path& label_file);

struct RadChestCtInputs {
  std::filesystem::path root, masks, labels_dir;
  std::map<std::string, std::vector<std::filesystem::path>> volumes;     // name -> file(s); >1 is an error later
  std::map<std::string, std::vector<std::filesystem::path>> mask_files;  // same
  convert::CsvIndex labels{kNoteColumn, strip_npz_suffix};

  // Walks the trees and loads the label CSVs. `masks` may be empty (NIfTI export needs none). IoError/DataError
  // naming the path for problems of the whole dataset: no volume at all, no label file, a CSV that does not parse.
  static RadChestCtInputs discover(const std::filesystem::path& root, const std::filesystem::path& labels_dir,
                                   const std::filesystem::path& masks);
  std::vector<std::string> volume_names() const;  // sorted, each once
};

}  // namespace cagcl::data::rad_chestct
