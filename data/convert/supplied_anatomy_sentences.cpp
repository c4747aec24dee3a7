#include "data/convert/supplied_anatomy_sentences.hpp"

#include <fmt/format.h>

#include "common/error.hpp"
#include "common/json_file.hpp"

namespace cagcl::data::convert {
namespace {

nlohmann::json load_json(const std::filesystem::path& path) {
  nlohmann::json j = parse_json_file(path);
  if (!j.is_object()) throw DataError(path.string() + ": expected an object keyed by volume name");
  return j;
}

const nlohmann::json* find_volume(const nlohmann::json& root, const std::string& volume) {
  for (const std::string& key : {volume, volume + ".nii.gz"}) {
    auto it = root.find(key);
    if (it != root.end()) return &*it;
  }
  return nullptr;
}

void append_sentences(const nlohmann::json& v, const std::string& where, std::vector<std::string>& out) {
  if (v.is_null()) return;
  if (v.is_string()) {
    for (auto& s : split_sentences(v.get<std::string>())) out.push_back(std::move(s));
    return;
  }
  if (v.is_array()) {
    for (size_t i = 0; i < v.size(); ++i) {
      if (!v[i].is_string()) throw DataError(fmt::format("{}[{}]: expected a string", where, i));
      std::string s = v[i].get<std::string>();
      if (!s.empty()) out.push_back(std::move(s));
    }
    return;
  }
  throw DataError(fmt::format("{}: expected a string or a list of strings, found {}", where, v.type_name()));
}

}  // namespace

SuppliedAnatomySentences SuppliedAnatomySentences::load(const std::filesystem::path& descriptions,
                                                        const std::optional<std::filesystem::path>& conclusions) {
  SuppliedAnatomySentences s;
  s.descriptions_ = Source{descriptions.string(), load_json(descriptions)};
  if (conclusions) s.conclusions_ = Source{conclusions->string(), load_json(*conclusions)};
  return s;
}

AnatomyLexicon::Split SuppliedAnatomySentences::sentences_of(const std::string& volume,
                                                             const std::vector<std::string>& anatomies) const {
  AnatomyLexicon::Split split;
  split.conclusion.assign(anatomies.size(), {});
  split.description.assign(anatomies.size(), {});
  const nlohmann::json* entry = find_volume(descriptions_->root, volume);
  if (entry == nullptr) throw DataError(fmt::format("{}: no entry for volume '{}'", descriptions_->file, volume));
  auto read_entry = [&](const nlohmann::json& e, const std::string& file, bool conclusion_file) {
    const std::string base = fmt::format("{}: '{}'", file, volume);
    if (!e.is_object()) throw DataError(base + ": expected an object keyed by anatomy");
    for (size_t k = 0; k < anatomies.size(); ++k) {
      auto it = e.find(anatomies[k]);
      if (it == e.end()) continue;
      const std::string where = fmt::format("{}.{}", base, anatomies[k]);
      if (it->is_object()) {
        if (auto c = it->find("conclusion"); c != it->end())
          append_sentences(*c, where + ".conclusion", split.conclusion[k]);
        if (auto d = it->find("description"); d != it->end())
          append_sentences(*d, where + ".description", split.description[k]);
      } else {
        append_sentences(*it, where, conclusion_file ? split.conclusion[k] : split.description[k]);
      }
    }
  };
  read_entry(*entry, descriptions_->file, false);
  if (conclusions_) {
    if (const nlohmann::json* c = find_volume(conclusions_->root, volume)) read_entry(*c, conclusions_->file, true);
  }
  return split;
}

}  // namespace cagcl::data::convert
