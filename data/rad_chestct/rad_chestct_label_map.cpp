#include "data/rad_chestct/rad_chestct_label_map.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include "common/error.hpp"
#include "data/convert/number_cells.hpp"

namespace cagcl::data::rad_chestct {
namespace {

std::vector<std::string> string_list(const YAML::Node& node, const std::string& where) {
  std::vector<std::string> out;
  if (!node) return out;
  if (!node.IsSequence()) throw UsageError(where + ": must be a list of names");
  for (const auto& item : node) {
    const std::string s = item.as<std::string>();
    if (s.empty() || s.find('*') != std::string::npos) throw UsageError(where + ": '" + s + "' is not a name");
    out.push_back(s);
  }
  return out;
}

bool contains(const std::vector<std::string>& list, const std::string& s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

}  // namespace

LabelMap LabelMap::load(const std::filesystem::path& yaml_file) {
  std::ifstream in(yaml_file);
  if (!in) throw IoError(yaml_file.string() + ": cannot open the Rad-ChestCT label map");
  std::stringstream text;
  text << in.rdbuf();
  return from_yaml(text.str(), yaml_file.string());
}

LabelMap LabelMap::from_yaml(const std::string& yaml_text, const std::string& origin) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw UsageError(fmt::format("{}: not valid YAML: {}", origin, e.what()));
  }
  if (!root.IsMap()) throw UsageError(origin + ": expected a mapping with 'labels', a list of {name, abnormalities}");
  const YAML::Node list = root["labels"];
  if (!list || !list.IsSequence() || list.size() == 0)
    throw UsageError(origin + ": 'labels' must be a non-empty list of {name, abnormalities[, locations]}");
  LabelMap m;
  std::set<std::string> names;
  for (size_t k = 0; k < list.size(); ++k) {
    const std::string where = fmt::format("{}: labels[{}]", origin, k);
    try {
      MergedLabel label;
      label.name = list[k]["name"].as<std::string>();
      if (label.name.empty() || !names.insert(label.name).second)
        throw UsageError(where + ".name: empty or duplicate '" + label.name + "'");
      label.abnormalities = string_list(list[k]["abnormalities"], where + ".abnormalities");
      if (label.abnormalities.empty()) throw UsageError(where + ".abnormalities: empty");
      label.locations = string_list(list[k]["locations"], where + ".locations");
      m.labels_.push_back(std::move(label));
    } catch (const YAML::Exception& e) {
      throw UsageError(fmt::format("{}: {}", where, e.what()));
    }
  }
  return m;
}

std::vector<std::string> LabelMap::names() const {
  std::vector<std::string> out;
  for (const auto& l : labels_) out.push_back(l.name);
  return out;
}

std::vector<std::vector<size_t>> LabelMap::columns_of(const convert::CsvTable& table) const {
  std::vector<std::vector<size_t>> out(labels_.size());
  const auto& columns = table.columns();
  for (size_t c = 0; c < columns.size(); ++c) {
    if (columns[c] == kNoteColumn) continue;
    const size_t star = columns[c].find('*');
    if (star == std::string::npos || star == 0 || star + 1 == columns[c].size() ||
        columns[c].find('*', star + 1) != std::string::npos) {
      throw DataError(fmt::format("{}: column '{}' is not a Rad-ChestCT label column (<abnormality>*<location>)",
                                  table.origin(), columns[c]));
    }
    const std::string abnormality = columns[c].substr(0, star), location = columns[c].substr(star + 1);
    for (size_t l = 0; l < labels_.size(); ++l) {
      if (contains(labels_[l].abnormalities, abnormality) &&
          (labels_[l].locations.empty() || contains(labels_[l].locations, location)))
        out[l].push_back(c);
    }
  }
  for (size_t l = 0; l < labels_.size(); ++l) {
    if (out[l].empty()) {
      throw DataError(fmt::format(
          "{}: no column for label '{}' (abnormalities {}{}); check the label map", table.origin(), labels_[l].name,
          fmt::join(labels_[l].abnormalities, ", "),
          labels_[l].locations.empty() ? "" : " at " + fmt::format("{}", fmt::join(labels_[l].locations, ", "))));
    }
  }
  return out;
}

std::vector<uint8_t> LabelMap::labels_of(const convert::CsvTable& table, size_t row,
                                         const std::vector<std::vector<size_t>>& columns) const {
  std::vector<uint8_t> out;
  for (size_t l = 0; l < labels_.size(); ++l) {
    uint8_t any = 0;
    for (size_t c : columns[l]) {
      const std::string where = fmt::format("{} line {}: {}", table.origin(), table.line_of(row), table.columns()[c]);
      const double v = convert::parse_number(table.at(row, c), where);
      if (v != 0 && v != 1) throw DataError(fmt::format("{} = {}, expected 0 or 1", where, v));
      any = any || v == 1;
    }
    out.push_back(any);
  }
  return out;
}

}  // namespace cagcl::data::rad_chestct
