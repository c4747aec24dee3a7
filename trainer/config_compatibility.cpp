#include "trainer/config_compatibility.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>

#include "common/error.hpp"

namespace cagcl::trainer {
namespace {

// The key of a YAML mapping entry as a name; DataError naming `origin` and `where` when it is not a scalar (a
// mapping or a list used as a key: the saved configuration is damaged).
std::string key_name(const YAML::Node& key, const std::string& origin, const std::string& where) {
  if (!key.IsScalar()) throw DataError(origin + ": configuration has a key that is not a name in " + where);
  return key.Scalar();
}

std::map<std::string, std::string> flatten(const std::string& yaml, const std::string& origin) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    throw DataError(origin + ": configuration is not valid YAML: " + e.what());
  }
  std::map<std::string, std::string> out;
  if (!root.IsMap()) return out;
  for (const auto& section : root) {
    const std::string name = key_name(section.first, origin, "the top level");
    if (!section.second.IsMap()) continue;
    for (const auto& item : section.second) {
      YAML::Emitter e;
      e << YAML::Flow << item.second;
      out[name + "." + key_name(item.first, origin, "section '" + name + "'")] = e.c_str();
    }
  }
  return out;
}

}  // namespace

const std::vector<std::string>& shape_keys() {
  static const std::vector<std::string> keys = {
      "data.anatomies",  "data.crop",       "vision.patch",     "vision.width",
      "vision.depth",    "vision.heads",    "vision.mlp_ratio", "vision.return_layers",
      "text.width",      "text.layers",     "text.heads",       "text.intermediate",
      "text.max_length", "model.embed_dim", "model.pool_heads", "model.separate_global_tau"};
  return keys;
}

std::vector<ConfigDifference> config_differences(const std::string& saved_yaml, const std::string& current_yaml) {
  const auto saved = flatten(saved_yaml, "checkpoint"), current = flatten(current_yaml, "current");
  std::map<std::string, ConfigDifference> diffs;
  for (const auto& [key, value] : saved) {
    auto it = current.find(key);
    const std::string now = it == current.end() ? "(absent)" : it->second;
    if (now != value) diffs[key] = {key, value, now};
  }
  for (const auto& [key, value] : current)
    if (!saved.count(key)) diffs[key] = {key, "(absent)", value};
  std::vector<ConfigDifference> out;
  for (auto& [key, d] : diffs) out.push_back(std::move(d));
  return out;
}

std::vector<ConfigDifference> check_resume_compatible(const std::string& saved_yaml, const std::string& current_yaml,
                                                      const std::string& checkpoint) {
  std::vector<ConfigDifference> breaking, other;
  for (auto& d : config_differences(saved_yaml, current_yaml)) {
    const auto& keys = shape_keys();
    (std::find(keys.begin(), keys.end(), d.key) != keys.end() ? breaking : other).push_back(std::move(d));
  }
  if (!breaking.empty()) {
    std::string list;
    for (const auto& d : breaking)
      list += (list.empty() ? "" : "; ") + d.key + ": " + d.saved + " in the checkpoint, " + d.current + " now";
    throw UsageError("--resume " + checkpoint + ": the configuration changes the model's shape (" + list +
                     "); resume with the checkpoint's values or start a new run");
  }
  return other;
}

}  // namespace cagcl::trainer
