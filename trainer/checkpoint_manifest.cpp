#include "trainer/checkpoint_manifest.hpp"

#include <cstdio>
#include <set>

#include "common/error.hpp"
#include "common/json_file.hpp"

namespace cagcl::trainer {
namespace {

// Field access that names the field on failure.
class Reader {
 public:
  Reader(const nlohmann::json& j, std::string origin, std::string prefix = "")
      : j_(j), origin_(std::move(origin)), prefix_(std::move(prefix)) {}

  [[noreturn]] void fail(const std::string& key, const std::string& why) const {
    throw DataError(origin_ + ": field '" + prefix_ + key + "' " + why);
  }
  const nlohmann::json& at(const std::string& key) const {
    if (!j_.is_object() || !j_.contains(key)) fail(key, "is missing");
    return j_.at(key);
  }
  int64_t integer(const std::string& key, int64_t min = 0) const {
    const auto& v = at(key);
    if (!v.is_number_integer()) fail(key, "must be an integer");
    const int64_t x = v.get<int64_t>();
    if (x < min) fail(key, "must be >= " + std::to_string(min));
    return x;
  }
  std::string string(const std::string& key) const {
    const auto& v = at(key);
    if (!v.is_string()) fail(key, "must be a string");
    return v.get<std::string>();
  }
  bool boolean(const std::string& key) const {
    const auto& v = at(key);
    if (!v.is_boolean()) fail(key, "must be true or false");
    return v.get<bool>();
  }
  double number(const std::string& key) const {
    const auto& v = at(key);
    if (!v.is_number()) fail(key, "must be a number");
    return v.get<double>();
  }
  const nlohmann::json& array(const std::string& key) const {
    const auto& v = at(key);
    if (!v.is_array()) fail(key, "must be a list");
    return v;
  }
  Reader item(const std::string& key, size_t i) const {
    return Reader(array(key)[i], origin_, prefix_ + key + "[" + std::to_string(i) + "].");
  }

 private:
  const nlohmann::json& j_;
  std::string origin_;
  std::string prefix_;
};

bool plain_file_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\\') == std::string::npos;
}

// As `sha256sum` prints it, and as the store compares it.
bool is_sha256_hex(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

std::string step_dir_name(int64_t step) {
  char name[32];
  std::snprintf(name, sizeof(name), "step-%08lld", static_cast<long long>(step));
  return name;
}

int64_t parse_step_dir_name(const std::string& name) {
  if (name.size() < 6 || name.compare(0, 5, "step-") != 0) return -1;
  const std::string digits = name.substr(5);
  if (digits.empty() || digits.size() > 18 || digits.find_first_not_of("0123456789") != std::string::npos) return -1;
  return std::stoll(digits);
}

std::string optimizer_file_name(int rank, int world_size) {
  char name[64];
  std::snprintf(name, sizeof(name), "optimizer-rank-%05d-of-%05d.safetensors", rank, world_size);
  return name;
}

std::string to_hex(const void* data, size_t size) {
  static const char* digits = "0123456789abcdef";
  std::string out(size * 2, '0');
  const auto* bytes = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < size; ++i) {
    out[2 * i] = digits[bytes[i] >> 4];
    out[2 * i + 1] = digits[bytes[i] & 15];
  }
  return out;
}

std::vector<uint8_t> from_hex(const std::string& hex, const std::string& what) {
  if (hex.size() % 2 != 0) throw DataError(what + ": odd number of hex digits");
  auto value = [&](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    throw DataError(what + ": not a lower-case hex digit: '" + std::string(1, c) + "'");
  };
  std::vector<uint8_t> out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<uint8_t>(value(hex[2 * i]) * 16 + value(hex[2 * i + 1]));
  return out;
}

nlohmann::json CheckpointManifest::to_json() const {
  nlohmann::json files_json = nlohmann::json::array();
  for (const auto& f : files)
    files_json.push_back({{"name", f.name}, {"rank", f.rank}, {"bytes", f.bytes}, {"sha256", f.sha256}});
  nlohmann::json tensors = nlohmann::json::array();
  for (const auto& t : model_tensors) tensors.push_back({{"name", t.name}, {"dtype", t.dtype}, {"shape", t.shape}});
  nlohmann::json ranks_json = nlohmann::json::array();
  for (const auto& r : ranks) {
    nlohmann::json pieces = nlohmann::json::array();
    for (const auto& p : r.pieces) pieces.push_back({{"param", p.param}, {"start", p.start}, {"numel", p.numel}});
    ranks_json.push_back(
        {{"rank", r.rank}, {"file", r.file}, {"pieces", pieces}, {"cpu_rng", r.cpu_rng}, {"cuda_rng", r.cuda_rng}});
  }
  return {{"format", kCheckpointFormat},
          {"version", kCheckpointVersion},
          {"step", step},
          {"total_steps", total_steps},
          {"world_size", world_size},
          {"batch_size", batch_size},
          {"sampler_position", sampler_position},
          {"epoch", epoch},
          {"restarts", restarts},
          {"zero1", zero1},
          {"config_hash", config_hash},
          {"config", config_yaml},
          {"unix_time", unix_time},
          {"files", files_json},
          {"model_tensors", tensors},
          {"ranks", ranks_json}};
}

CheckpointManifest CheckpointManifest::from_json(const nlohmann::json& j, const std::string& origin) {
  Reader r(j, origin);
  if (r.string("format") != kCheckpointFormat) r.fail("format", "is not '" + std::string(kCheckpointFormat) + "'");
  if (r.integer("version") != kCheckpointVersion)
    r.fail("version", "is not " + std::to_string(kCheckpointVersion) + " (written by another cagcl version)");
  CheckpointManifest m;
  m.step = r.integer("step");
  m.total_steps = r.integer("total_steps");
  const int64_t world = r.integer("world_size", 1);
  if (world > (1 << 20)) r.fail("world_size", "is implausibly large");
  m.world_size = static_cast<int>(world);
  m.batch_size = r.integer("batch_size");
  m.sampler_position = r.integer("sampler_position");
  m.epoch = r.integer("epoch");
  m.restarts = r.integer("restarts");
  m.zero1 = r.boolean("zero1");
  m.config_hash = r.string("config_hash");
  m.config_yaml = r.string("config");
  m.unix_time = r.number("unix_time");
  std::set<std::string> names;
  for (size_t i = 0; i < r.array("files").size(); ++i) {
    auto f = r.item("files", i);
    // Compared before narrowing to int: 2^32 would wrap to rank 0.
    const int64_t rank = f.integer("rank");
    if (rank >= m.world_size) f.fail("rank", "is not below world_size");
    CheckpointFile file{f.string("name"), static_cast<int>(rank), static_cast<uint64_t>(f.integer("bytes")),
                        f.string("sha256")};
    if (!plain_file_name(file.name)) f.fail("name", "must be a plain file name");
    if (!is_sha256_hex(file.sha256)) f.fail("sha256", "must be 64 lower-case hex digits");
    if (!names.insert(file.name).second) f.fail("name", "is listed twice");
    m.files.push_back(file);
  }
  if (!names.count(kModelFileName)) r.fail("files", std::string("does not list ") + kModelFileName);
  for (size_t i = 0; i < r.array("model_tensors").size(); ++i) {
    auto t = r.item("model_tensors", i);
    TensorEntry entry{t.string("name"), t.string("dtype"), {}};
    const auto& shape = t.array("shape");
    for (const auto& d : shape) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0) t.fail("shape", "must be a list of sizes >= 0");
      entry.shape.push_back(d.get<int64_t>());
    }
    m.model_tensors.push_back(entry);
  }
  if (r.array("ranks").size() != static_cast<size_t>(m.world_size))
    r.fail("ranks", "must have world_size (" + std::to_string(m.world_size) + ") entries");
  for (size_t i = 0; i < r.array("ranks").size(); ++i) {
    auto e = r.item("ranks", i);
    RankState state;
    if (e.integer("rank") != static_cast<int64_t>(i)) e.fail("rank", "must be " + std::to_string(i));
    state.rank = static_cast<int>(i);
    state.file = e.string("file");
    if (!names.count(state.file)) e.fail("file", "is not among the listed files");
    for (size_t k = 0; k < e.array("pieces").size(); ++k) {
      auto p = e.item("pieces", k);
      state.pieces.push_back({p.string("param"), p.integer("start"), p.integer("numel", 1)});
    }
    state.cpu_rng = e.string("cpu_rng");
    state.cuda_rng = e.string("cuda_rng");
    m.ranks.push_back(std::move(state));
  }
  return m;
}

CheckpointManifest CheckpointManifest::load(const std::filesystem::path& step_dir) {
  const auto path = step_dir / kCheckpointManifestName;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw DataError(path.string() + ": missing (the save was interrupted before it committed)");
  return from_json(parse_json_file(path), path.string());
}

}  // namespace cagcl::trainer
