#include "data/manifest.hpp"

#include <set>

#include <fmt/format.h>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/json_file.hpp"
#include "data/compression.hpp"
#include "data/schema.hpp"
#include "data/shard_layout.hpp"

namespace cagcl::data {
namespace {

using nlohmann::json;

// Reads fields of an untrusted JSON document; every error names the file and the field path.
class Fields {
 public:
  explicit Fields(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const std::string& field, const std::string& what) const {
    throw DataError(fmt::format("{}: field '{}': {}", file_, field, what));
  }

  const json& member(const json& obj, const std::string& key, const std::string& field) const {
    if (!obj.is_object()) fail(field, "parent is not an object");
    auto it = obj.find(key);
    if (it == obj.end()) fail(field, "missing");
    return *it;
  }

  int64_t integer(const json& obj, const std::string& key, const std::string& field, int64_t min) const {
    const json& v = member(obj, key, field);
    if (!v.is_number_integer()) fail(field, fmt::format("expected an integer, found {}", v.type_name()));
    if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) fail(field, "too large");
    const int64_t x = v.get<int64_t>();
    if (x < min) fail(field, fmt::format("{} is below the minimum {}", x, min));
    return x;
  }

  std::string string(const json& obj, const std::string& key, const std::string& field) const {
    const json& v = member(obj, key, field);
    if (!v.is_string()) fail(field, fmt::format("expected a string, found {}", v.type_name()));
    return v.get<std::string>();
  }

  std::vector<std::string> strings(const json& obj, const std::string& key, const std::string& field) const {
    const json& v = member(obj, key, field);
    if (!v.is_array()) fail(field, fmt::format("expected an array of strings, found {}", v.type_name()));
    std::vector<std::string> out;
    for (size_t i = 0; i < v.size(); ++i) {
      if (!v[i].is_string()) fail(fmt::format("{}[{}]", field, i), "expected a string");
      out.push_back(v[i].get<std::string>());
    }
    return out;
  }

 private:
  std::string file_;
};

// Shard names come from an untrusted file and are joined to the dataset directory: only plain names.
bool is_plain_file_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\\') == std::string::npos && name.find('\0') == std::string::npos;
}

bool is_sha256_hex(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

void check_names(const Fields& f, const std::vector<std::string>& names, const std::string& field, int64_t max_count,
                 bool allow_empty) {
  if (!allow_empty && names.empty()) f.fail(field, "must not be empty");
  if (static_cast<int64_t>(names.size()) > max_count) f.fail(field, fmt::format("more than {} entries", max_count));
  std::set<std::string> seen;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i].empty()) f.fail(fmt::format("{}[{}]", field, i), "empty name");
    if (!seen.insert(names[i]).second) f.fail(fmt::format("{}[{}]", field, i), "duplicate " + json_excerpt(names[i]));
  }
}

ShardEntry parse_shard(const Fields& f, const json& j, const std::string& field) {
  ShardEntry e;
  e.file = f.string(j, "file", field + ".file");
  if (!is_plain_file_name(e.file)) {
    f.fail(field + ".file", json_excerpt(e.file) + " is not a plain file name inside the dataset directory");
  }
  e.num_samples = f.integer(j, "num_samples", field + ".num_samples", 0);
  e.first_index = f.integer(j, "first_index", field + ".first_index", 0);
  e.bytes = static_cast<uint64_t>(f.integer(j, "bytes", field + ".bytes", 0));
  e.sha256 = f.string(j, "sha256", field + ".sha256");
  if (!is_sha256_hex(e.sha256)) f.fail(field + ".sha256", "expected 64 lower-case hex digits");
  return e;
}

// The generator is free-form, except the fields cagcl itself reads back: `vocab` names the dataset's vocab.txt
// (data_options.cpp joins it to the dataset directory), so it must be a plain file name.
void check_generator(const Fields& f, const json& generator) {
  if (!generator.is_object()) return;
  const auto vocab = generator.find("vocab");
  if (vocab == generator.end()) return;
  if (!vocab->is_string()) f.fail("generator.vocab", fmt::format("expected a file name, found {}", vocab->type_name()));
  if (!is_plain_file_name(vocab->get<std::string>()))
    f.fail("generator.vocab", json_excerpt(*vocab) + " is not a plain file name inside the dataset directory");
}

}  // namespace

int64_t Manifest::num_samples() const {
  int64_t n = 0;
  for (const auto& s : shards) n += s.num_samples;
  return n;
}

json Manifest::to_json() const {
  json shards_json = json::array();
  for (const auto& s : shards) {
    shards_json.push_back({{"file", s.file},
                           {"num_samples", s.num_samples},
                           {"first_index", s.first_index},
                           {"bytes", s.bytes},
                           {"sha256", s.sha256}});
  }
  // nlohmann::json orders object keys alphabetically, so the text is a pure function of the content.
  return json{{"format", kManifestFormat}, {"schema_version", schema_version}, {"anatomies", anatomies},
              {"labels", labels},          {"compression", compression},       {"num_samples", num_samples()},
              {"shards", shards_json},     {"generator", generator},           {"reports", has_reports}};
}

Manifest Manifest::from_json(const json& j, const std::string& file) {
  Fields f(file);
  if (!j.is_object()) throw DataError(file + ": expected a JSON object at the top level");
  const std::string format = f.string(j, "format", "format");
  if (format != kManifestFormat)
    f.fail("format", fmt::format("expected '{}', found {}", kManifestFormat, json_excerpt(format)));

  Manifest m;
  const int64_t version = f.integer(j, "schema_version", "schema_version", INT64_MIN);
  if (version != kSchemaVersion) {
    f.fail("schema_version", fmt::format("unsupported version {} (this build reads {}; convert the data again)",
                                         version, kSchemaVersion));
  }
  m.schema_version = kSchemaVersion;
  m.anatomies = f.strings(j, "anatomies", "anatomies");
  check_names(f, m.anatomies, "anatomies", kMaxAnatomies, false);
  m.labels = f.strings(j, "labels", "labels");
  check_names(f, m.labels, "labels", kMaxLabels, true);
  m.compression = f.string(j, "compression", "compression");
  try {
    compression_from_string(m.compression);
  } catch (const UsageError& e) {
    f.fail("compression", e.what());
  }
  const json& shards = f.member(j, "shards", "shards");
  if (!shards.is_array()) f.fail("shards", fmt::format("expected an array, found {}", shards.type_name()));
  std::set<std::string> files;
  int64_t next_index = 0;
  for (size_t i = 0; i < shards.size(); ++i) {
    const std::string field = fmt::format("shards[{}]", i);
    ShardEntry e = parse_shard(f, shards[i], field);
    if (!files.insert(e.file).second) f.fail(field + ".file", json_excerpt(e.file) + " is listed twice");
    if (e.first_index != next_index) {
      f.fail(field + ".first_index",
             fmt::format("expected {} (previous shards end there), found {}", next_index, e.first_index));
    }
    if (e.num_samples > INT64_MAX - next_index) f.fail(field + ".num_samples", "too large");
    next_index += e.num_samples;
    m.shards.push_back(std::move(e));
  }
  const int64_t total = f.integer(j, "num_samples", "num_samples", 0);
  if (total != next_index) {
    f.fail("num_samples", fmt::format("{} does not match the sum of the shards' num_samples ({})", total, next_index));
  }
  m.generator = f.member(j, "generator", "generator");
  check_generator(f, m.generator);
  if (const auto it = j.find("reports"); it != j.end()) {
    if (!it->is_boolean()) f.fail("reports", fmt::format("expected true or false, found {}", it->type_name()));
    m.has_reports = it->get<bool>();
  }
  return m;
}

Manifest Manifest::load(const std::filesystem::path& dataset_json) {
  return from_json(parse_json_file(dataset_json), dataset_json.string());
}

void Manifest::save(const std::filesystem::path& dataset_json) const {
  // The generator records input paths, which need not be UTF-8: written with U+FFFD, never a type_error.
  write_file_atomically(dataset_json, dump_json(to_json(), 2) + "\n");
}

}  // namespace cagcl::data
