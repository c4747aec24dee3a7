#pragma once
// What a CT-RATE download holds, indexed by volume name (docs/converting.md): the volume files under
// ROOT/train and ROOT/valid, the mask files under MASKS (same file name, any sub-folder), and the rows of
// ROOT/metadata/*.csv, ROOT/radiology_text_reports/*.csv and ROOT/multi_abnormality_labels/*_predicted_labels.csv.
// Problems that concern one volume (no row, two rows, no mask, a label file with an unknown column) are
// kept and reported when that volume is converted, so that --skip-bad can skip just it.
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "data/convert/csv_index.hpp"

namespace cagcl::data::ct_rate {

convert::CsvIndex volume_name_index();

struct CtRateInputs {
  std::filesystem::path root, masks;
  std::map<std::string, std::vector<std::filesystem::path>> volumes;  // name -> file(s); >1 is an error later
  std::map<std::string, std::filesystem::path> mask_files;
  // Keyed by VolumeName without ".nii.gz".
  convert::CsvIndex metadata = volume_name_index(), reports = volume_name_index(), labels = volume_name_index();

  // Walks the trees and loads the CSVs. IoError/DataError naming the path for problems that concern the
  // whole dataset (no volume at all, a missing CSV folder, a CSV that does not parse).
  static CtRateInputs discover(const std::filesystem::path& root, const std::filesystem::path& masks);
  // Volume names in order (sorted), each once.
  std::vector<std::string> volume_names() const;
};

}  // namespace cagcl::data::ct_rate
