#include "data/convert/csv_index.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "common/error.hpp"
#include "data/convert/file_walk.hpp"

namespace cagcl::data::convert {
CsvIndex::CsvIndex(std::string key_column, std::function<std::string(const std::string&)> normalize)
    : key_column_(std::move(key_column)), normalize_(std::move(normalize)) {}

void CsvIndex::load(const std::filesystem::path& dir, const std::string& suffix, bool recursive) {
  description_ = (dir / ((recursive ? "**/*" : "*") + suffix)).string();
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) throw IoError(dir.string() + ": no such directory");
  std::vector<std::filesystem::path> files;
  const auto consider = [&](const std::filesystem::directory_entry& e) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && ends_with(name, suffix) && name[0] != '.') files.push_back(e.path());
  };
  if (recursive) {
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) consider(e);
  } else {
    for (const auto& e : std::filesystem::directory_iterator(dir)) consider(e);
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) throw IoError(fmt::format("{}: no file matches", description_));
  for (const auto& f : files) add(CsvTable::load(f));
}

void CsvIndex::add(CsvTable table) {
  const size_t column = table.require_column(key_column_);
  tables_.push_back(std::make_unique<CsvTable>(std::move(table)));
  const CsvTable* t = tables_.back().get();
  for (size_t r = 0; r < t->rows(); ++r) rows_[normalize_(t->at(r, column))].push_back(Row{t, r});
}

CsvIndex::Row CsvIndex::row_of(const std::string& volume, const std::string& what) const {
  auto it = rows_.find(volume);
  if (it == rows_.end()) throw DataError(fmt::format("{}: no {} row for volume '{}'", description_, what, volume));
  if (it->second.size() > 1) {
    const Row& a = it->second[0];
    const Row& b = it->second[1];
    throw DataError(fmt::format("{}: volume '{}' has {} {} rows ({} line {} and {} line {})", description_, volume,
                                it->second.size(), what, a.table->origin(), a.table->line_of(a.row), b.table->origin(),
                                b.table->line_of(b.row)));
  }
  return it->second[0];
}

std::string cell_of(const CsvIndex::Row& row, const std::string& column, const std::string& volume) {
  const auto c = row.table->column(column);
  if (!c) throw DataError(fmt::format("{}: missing column '{}' (volume '{}')", row.table->origin(), column, volume));
  return row.table->at(row.row, *c);
}

}  // namespace cagcl::data::convert
