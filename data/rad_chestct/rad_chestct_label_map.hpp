#pragma once
// Rad-ChestCT's "<abnormality>*<location>" label columns merged into a dataset's labels, as a YAML file
// says (configs/rad_chestct_labels.yaml: the 14 labels of the radchest14 protocol).
#include <filesystem>
#include <string>
#include <vector>

#include "data/convert/csv_table.hpp"

namespace cagcl::data::rad_chestct {

inline constexpr const char* kNoteColumn = "NoteAcc_DEID";

struct MergedLabel {
  std::string name;
  std::vector<std::string> abnormalities;
  std::vector<std::string> locations;  // empty: any location
};

class LabelMap {
 public:
  // UsageError naming the file and the entry: not a list, an empty or duplicate name, no abnormality.
  static LabelMap load(const std::filesystem::path& yaml_file);
  static LabelMap from_yaml(const std::string& yaml_text, const std::string& origin);

  std::vector<std::string> names() const;
  const std::vector<MergedLabel>& labels() const { return labels_; }

  // For each label, the columns of `table` it merges. DataError naming the file: a column other than
  // NoteAcc_DEID that is not "<abnormality>*<location>", or a label none of whose abnormalities has a column
  // (the table is not Rad-ChestCT's, or the label map has a typo).
  std::vector<std::vector<size_t>> columns_of(const convert::CsvTable& table) const;
  // The labels of one row: 1 when any of the label's columns is 1. DataError naming the file, line and
  // column for a cell that is not 0 or 1.
  std::vector<uint8_t> labels_of(const convert::CsvTable& table, size_t row,
                                 const std::vector<std::vector<size_t>>& columns) const;

 private:
  std::vector<MergedLabel> labels_;
};

}  // namespace cagcl::data::rad_chestct
