#pragma once
// The rows of one kind of CSV (several files, e.g. one per split) by volume name: CT-RATE's metadata,
// reports and labels (key column VolumeName) and Rad-ChestCT's labels (NoteAcc_DEID). Problems that concern
// one volume (no row, two rows) are reported when that volume asks for its row, so that --skip-bad can skip
// just it.
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "data/convert/csv_table.hpp"

namespace cagcl::data::convert {

class CsvIndex {
 public:
  struct Row {
    const CsvTable* table = nullptr;
    size_t row = 0;
  };
  // `normalize` turns a key cell into a volume name (e.g. strips ".nii.gz").
  CsvIndex(std::string key_column, std::function<std::string(const std::string&)> normalize);

  // Every CSV file of `dir` (with `recursive`, of its whole tree) whose name ends in `suffix`. IoError when
  // the directory is missing or no file matches; DataError (whole file) when a file is not valid CSV or
  // lacks the key column.
  void load(const std::filesystem::path& dir, const std::string& suffix, bool recursive = false);
  void add(CsvTable table);
  // The one row of `volume`; DataError naming the files when there is none or more than one.
  Row row_of(const std::string& volume, const std::string& what) const;
  const std::vector<std::unique_ptr<CsvTable>>& tables() const { return tables_; }
  const std::string& key_column() const { return key_column_; }

 private:
  std::string key_column_;
  std::function<std::string(const std::string&)> normalize_;
  std::vector<std::unique_ptr<CsvTable>> tables_;
  std::map<std::string, std::vector<Row>> rows_;
  std::string description_;  // "ROOT/metadata/*.csv" for messages
};

// The cell of `row` in `column`; DataError naming the file, the column and `volume` when it is missing.
std::string cell_of(const CsvIndex::Row& row, const std::string& column, const std::string& volume);

}  // namespace cagcl::data::convert
