#pragma once
// Reading JSON that comes from outside (files, lines of a log): one parser for the whole project, so every
// document is bounded the same way. nlohmann's parser itself is iterative, but copying, comparing and dump() of
// a parsed value recurse once per nesting level: a few hundred KB of '[' nest a value hundreds of thousands
// deep, and the first copy or error message that walks it overflows the stack (SIGSEGV). The reader refuses a
// document nesting deeper than kMaxJsonDepth while it parses, before such a value exists.
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace cagcl {

// The deepest nesting of arrays and objects accepted: `{"a": [1]}` nests 2 deep. The project's own documents
// nest at most 4 deep (a checkpoint manifest's ranks[i].pieces[k]); 64 leaves room for free-form provenance,
// and 64 recursive frames are harmless on any stack.
inline constexpr int kMaxJsonDepth = 64;

// Called for every parser event after the depth check, as nlohmann's parser callback (return true to keep the
// value): checks a caller adds, such as refusing duplicate keys.
using JsonParseCallback = std::function<bool(int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed)>;

// Parses `text`. DataError starting with `origin` when it is not valid JSON or nests deeper than
// kMaxJsonDepth; the message quotes at most a short excerpt of the text.
nlohmann::json parse_json_text(std::string_view text, const std::string& origin, const JsonParseCallback& also = {});

// Reads the whole file and parses it as parse_json_text, with the path as origin. IoError naming the path
// when it cannot be opened or read.
nlohmann::json parse_json_file(const std::filesystem::path& path, const JsonParseCallback& also = {});

// A value from outside, for an error message: scalars as JSON text cut to `max_chars`, arrays and objects
// only by type and size (never dumped whole), invalid UTF-8 replaced by U+FFFD.
std::string json_excerpt(const nlohmann::json& value, size_t max_chars = 80);

// dump() for documents we write that hold text from outside (volume names, error messages): invalid UTF-8
// becomes U+FFFD instead of nlohmann's type_error 316, so one bad byte cannot stop a report from being written.
std::string dump_json(const nlohmann::json& value, int indent = -1);
std::string dump_json(const nlohmann::ordered_json& value, int indent = -1);
// `text` as dump_json writes it: each byte that is not part of valid UTF-8 becomes U+FFFD.
std::string valid_utf8(const std::string& text);

}  // namespace cagcl
