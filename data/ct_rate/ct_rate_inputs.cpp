#include "data/ct_rate/ct_rate_inputs.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "common/error.hpp"
#include "data/ct_rate/ct_rate_names.hpp"

namespace cagcl::data::ct_rate {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

template <class F>
void walk_nifti(const std::filesystem::path& dir, F&& on_file) {
  std::error_code ec;
  std::filesystem::recursive_directory_iterator it(dir, std::filesystem::directory_options::skip_permission_denied, ec);
  if (ec) throw IoError(fmt::format("{}: cannot list: {}", dir.string(), ec.message()));
  for (const auto& entry : it) {
    if (!entry.is_regular_file(ec)) continue;
    const std::string name = entry.path().filename().string();
    if (ends_with(name, kNiftiSuffix) && name[0] != '.') on_file(entry.path(), strip_nifti_suffix(name));
  }
}

}  // namespace

void CsvIndex::load(const std::filesystem::path& dir, const std::string& suffix) {
  description_ = (dir / ("*" + suffix)).string();
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) throw IoError(dir.string() + ": no such directory");
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && ends_with(name, suffix) && name[0] != '.') files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) throw IoError(fmt::format("{}: no file matches", description_));
  for (const auto& f : files) add(convert::CsvTable::load(f));
}

void CsvIndex::add(convert::CsvTable table) {
  const size_t column = table.require_column(kVolumeNameColumn);
  tables_.push_back(std::make_unique<convert::CsvTable>(std::move(table)));
  const convert::CsvTable* t = tables_.back().get();
  for (size_t r = 0; r < t->rows(); ++r) rows_[strip_nifti_suffix(t->at(r, column))].push_back(Row{t, r});
}

CsvIndex::Row CsvIndex::row_of(const std::string& volume, const std::string& what) const {
  auto it = rows_.find(volume);
  if (it == rows_.end()) throw DataError(fmt::format("{}: no {} row for volume '{}'", description_, what, volume));
  if (it->second.size() > 1) {
    const Row& a = it->second[0];
    const Row& b = it->second[1];
    throw DataError(fmt::format("{}: volume '{}' has {} {} rows ({} line {} and {} line {})", description_, volume,
                                it->second.size(), what, a.table->origin(), a.table->line_of(a.row),
                                b.table->origin(), b.table->line_of(b.row)));
  }
  return it->second[0];
}

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
    walk_nifti(root / split, [&](const std::filesystem::path& p, const std::string& name) { in.volumes[name].push_back(p); });
  }
  if (!any_split) throw IoError(fmt::format("{}: holds neither train/ nor valid/ (CT-RATE's volume folders)", root.string()));
  if (in.volumes.empty()) throw IoError(fmt::format("{}: no *.nii.gz volume under train/ or valid/", root.string()));
  walk_nifti(masks, [&](const std::filesystem::path& p, const std::string& name) {
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
