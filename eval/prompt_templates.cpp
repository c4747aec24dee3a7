#include "eval/prompt_templates.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>

#include "common/error.hpp"

namespace cagcl::eval {

const std::vector<TemplateFamily>& builtin_families() {
  static const std::vector<TemplateFamily> families = {
      {"fvlm", "{X}.", "Not {X}."},
      {"ctclip", "{X} is present.", "{X} is not present."},
      {"there_is", "There is {x} in the {anatomy}.", "There is no {x} in the {anatomy}."},
      {"anatomy_shows", "The {anatomy} shows {x}.", "The {anatomy} shows no {x}."},
      {"findings", "Findings consistent with {x}.", "No evidence of {x}."},
  };
  return families;
}

std::string fill_template(const std::string& text, const std::string& label, const std::string& anatomy,
                          const std::string& origin) {
  std::string lower = label;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '}') throw UsageError(origin + ": '}' without '{' in \"" + text + "\"");
    if (text[i] != '{') {
      out += text[i];
      continue;
    }
    const size_t close = text.find('}', i);
    if (close == std::string::npos) throw UsageError(origin + ": unclosed '{' in \"" + text + "\"");
    const std::string key = text.substr(i + 1, close - i - 1);
    if (key == "X")
      out += label;
    else if (key == "x")
      out += lower;
    else if (key == "anatomy")
      out += anatomy;
    else
      throw UsageError(origin + ": unknown placeholder {" + key + "} in \"" + text + "\" (known: {X}, {x}, {anatomy})");
    i = close;
  }
  return out;
}

void validate_family(const TemplateFamily& family, const std::string& origin) {
  if (family.name.empty()) throw UsageError(origin + ": a family has an empty name");
  for (const auto* text : {&family.positive, &family.negative}) {
    if (text->empty()) throw UsageError(origin + ": family '" + family.name + "' has an empty template");
    fill_template(*text, "Finding", "organ", origin + ": family '" + family.name + "'");
  }
  if (family.positive == family.negative)
    throw UsageError(origin + ": family '" + family.name + "' has the same positive and negative template");
}

std::vector<TemplateFamily> load_template_file(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw UsageError("--templates: cannot read template file '" + path + "'");
  } catch (const YAML::Exception& e) {
    throw UsageError(path + ": not valid YAML: " + e.what());
  }
  if (!root.IsMap()) throw UsageError(path + ": must be a map with the list 'families' at its top level");
  const YAML::Node list = root["families"];
  if (!list || !list.IsSequence() || list.size() == 0)
    throw UsageError(path + ": needs a non-empty list 'families' (entries with name, positive, negative)");
  std::vector<TemplateFamily> out;
  std::set<std::string> names;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string where = path + ": families[" + std::to_string(i) + "]";
    const YAML::Node entry = list[i];
    if (!entry.IsMap()) throw UsageError(where + ": must be a map with name, positive, negative");
    TemplateFamily family;
    for (auto [key, field] : {std::pair<const char*, std::string*>{"name", &family.name},
                              {"positive", &family.positive},
                              {"negative", &family.negative}}) {
      if (!entry[key] || !entry[key].IsScalar()) throw UsageError(where + ": missing string field '" + key + "'");
      *field = entry[key].as<std::string>();
    }
    for (const auto& item : entry) {
      if (!item.first.IsScalar()) throw UsageError(where + ": a field name must be a string");
      if (const auto key = item.first.Scalar(); key != "name" && key != "positive" && key != "negative")
        throw UsageError(where + ": unknown field '" + key + "'");
    }
    validate_family(family, where);
    if (!names.insert(family.name).second) throw UsageError(where + ": family name '" + family.name + "' repeats");
    out.push_back(family);
  }
  return out;
}

std::vector<TemplateFamily> select_families(const std::string& spec) {
  std::vector<TemplateFamily> out;
  std::set<std::string> seen;
  const auto add = [&](const TemplateFamily& f, const std::string& item) {
    if (seen.count(f.name)) {
      const auto same = std::find_if(out.begin(), out.end(), [&](const auto& o) { return o.name == f.name; });
      if (same->positive != f.positive || same->negative != f.negative)
        throw UsageError("--templates: two different families are named '" + f.name + "' (" + item + ")");
      return;
    }
    seen.insert(f.name);
    out.push_back(f);
  };
  size_t start = 0;
  while (start <= spec.size()) {
    const size_t comma = std::min(spec.find(',', start), spec.size());
    const std::string item = spec.substr(start, comma - start);
    start = comma + 1;
    if (item.empty()) throw UsageError("--templates: empty item in '" + spec + "'");
    if (item == "all") {
      for (const auto& f : builtin_families()) add(f, item);
      continue;
    }
    const auto& builtins = builtin_families();
    const auto it = std::find_if(builtins.begin(), builtins.end(), [&](const auto& f) { return f.name == item; });
    if (it != builtins.end()) {
      add(*it, item);
    } else if (std::filesystem::exists(item)) {
      for (const auto& f : load_template_file(item)) add(f, item);
    } else {
      std::string known;
      for (const auto& f : builtins) known += (known.empty() ? "" : ", ") + f.name;
      throw UsageError("--templates: '" + item + "' is neither all, a built-in family (" + known +
                       ") nor an existing YAML file");
    }
  }
  return out;
}

}  // namespace cagcl::eval
