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

#include "data/convert/csv_table.hpp"

namespace cagcl::data::ct_rate {

// The rows of one kind of CSV (several files: one per split), by volume name (without ".nii.gz").
class CsvIndex {
 public:
  struct Row {
    const convert::CsvTable* table = nullptr;
    size_t row = 0;
  };
  // Every CSV file of `dir` whose name ends in `suffix`. IoError when the directory is missing; DataError
  // (whole file) when a file is not valid CSV or lacks the VolumeName column.
  void load(const std::filesystem::path& dir, const std::string& suffix);
  void add(convert::CsvTable table);
  // The one row of `volume`; DataError naming the files when there is none or more than one.
  Row row_of(const std::string& volume, const std::string& what) const;
  const std::vector<std::unique_ptr<convert::CsvTable>>& tables() const { return tables_; }

 private:
  std::vector<std::unique_ptr<convert::CsvTable>> tables_;
  std::map<std::string, std::vector<Row>> rows_;
  std::string description_;  // "ROOT/metadata/*.csv" for messages
};

struct CtRateInputs {
  std::filesystem::path root, masks;
  std::map<std::string, std::vector<std::filesystem::path>> volumes;  // name -> file(s); >1 is an error later
  std::map<std::string, std::filesystem::path> mask_files;
  CsvIndex metadata, reports, labels;

  // Walks the trees and loads the CSVs. IoError/DataError naming the path for problems that concern the
  // whole dataset (no volume at all, a missing CSV folder, a CSV that does not parse).
  static CtRateInputs discover(const std::filesystem::path& root, const std::filesystem::path& masks);
  // Volume names in order (sorted), each once.
  std::vector<std::string> volume_names() const;
};

}  // namespace cagcl::data::ct_rate
