#include "common/json_file.hpp"

#include <fstream>
#include <sstream>

#include "common/error.hpp"

namespace cagcl {
namespace {

// Long enough to recognise the problem, short enough that a hostile token cannot flood the log.
constexpr size_t kMaxMessageChars = 300;

std::string cut(std::string text, size_t max_chars) {
  if (text.size() <= max_chars) return text;
  text.resize(max_chars);
  return text + "...";
}

}  // namespace

nlohmann::json parse_json_text(std::string_view text, const std::string& origin, const JsonParseCallback& also) {
  // `depth` counts the containers enclosing the event's value, so a new array or object nests depth + 1 deep.
  auto bounded = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    if ((event == Event::object_start || event == Event::array_start) && depth >= kMaxJsonDepth) {
      throw DataError(origin + ": JSON nests deeper than " + std::to_string(kMaxJsonDepth) +
                      " levels (corrupt or hostile file)");
    }
    return also ? also(depth, event, parsed) : true;
  };
  try {
    return nlohmann::json::parse(text.begin(), text.end(), bounded);
  } catch (const nlohmann::json::exception& e) {
    throw DataError(origin + ": not valid JSON: " + cut(e.what(), kMaxMessageChars));
  }
}

nlohmann::json parse_json_file(const std::filesystem::path& path, const JsonParseCallback& also) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path.string() + ": cannot open");
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) throw IoError(path.string() + ": read failed");
  return parse_json_text(text.str(), path.string(), also);
}

std::string json_excerpt(const nlohmann::json& value, size_t max_chars) {
  if (value.is_structured()) return std::string(value.type_name()) + " of " + std::to_string(value.size());
  return cut(dump_json(value), max_chars);
}

std::string dump_json(const nlohmann::json& value, int indent) {
  return value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string dump_json(const nlohmann::ordered_json& value, int indent) {
  return value.dump(indent, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string valid_utf8(const std::string& text) {
  // The round trip through the serializer makes the replacement exactly the one report files get.
  return nlohmann::json::parse(dump_json(nlohmann::json(text))).get<std::string>();
}

}  // namespace cagcl
