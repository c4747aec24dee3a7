#include "data/convert/anatomy_mapping.hpp"

#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "common/error.hpp"

namespace cagcl::data::convert {

AnatomyMapping AnatomyMapping::load(const std::filesystem::path& yaml_file) {
  std::ifstream in(yaml_file);
  if (!in) throw IoError(yaml_file.string() + ": cannot open the anatomy mapping");
  std::stringstream text;
  text << in.rdbuf();
  return from_yaml(text.str(), yaml_file.string());
}

AnatomyMapping AnatomyMapping::from_yaml(const std::string& yaml_text, const std::string& origin) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw UsageError(fmt::format("{}: not valid YAML: {}", origin, e.what()));
  }
  if (!root.IsMap()) throw UsageError(origin + ": expected a mapping with 'anatomies', a list of {name, classes}");
  const YAML::Node list = root["anatomies"];
  if (!list || !list.IsSequence() || list.size() == 0)
    throw UsageError(origin + ": 'anatomies' must be a non-empty list of {name, classes}");
  if (list.size() > 255) throw UsageError(origin + ": more than 255 anatomies");
  AnatomyMapping m;
  std::set<std::string> names;
  for (size_t k = 0; k < list.size(); ++k) {
    const std::string where = fmt::format("{}: anatomies[{}]", origin, k);
    const YAML::Node e = list[k];
    try {
      const std::string name = e["name"].as<std::string>();
      if (name.empty() || !names.insert(name).second)
        throw UsageError(where + ".name: empty or duplicate '" + name + "'");
      const YAML::Node classes = e["classes"];
      if (!classes || !classes.IsSequence() || classes.size() == 0)
        throw UsageError(where + ".classes: must be a non-empty list of class ids");
      for (size_t c = 0; c < classes.size(); ++c) {
        const int id = classes[c].as<int>();
        if (id < 1 || id > 255) throw UsageError(fmt::format("{}.classes[{}]: {} is not in [1, 255]", where, c, id));
        if (m.anatomy_of[static_cast<size_t>(id)] != 0) {
          throw UsageError(fmt::format("{}.classes[{}]: class {} already belongs to '{}'", where, c, id,
                                       m.anatomies[m.anatomy_of[static_cast<size_t>(id)] - 1u]));
        }
        m.anatomy_of[static_cast<size_t>(id)] = static_cast<uint8_t>(k + 1);
      }
      m.anatomies.push_back(name);
    } catch (const YAML::Exception& ex) {
      throw UsageError(fmt::format("{}: {}", where, ex.what()));
    }
  }
  return m;
}

std::vector<uint8_t> AnatomyMapping::merge(const std::vector<uint8_t>& classes) const {
  std::vector<uint8_t> out(classes.size());
  for (size_t i = 0; i < classes.size(); ++i) out[i] = anatomy_of[classes[i]];
  return out;
}

}  // namespace cagcl::data::convert
