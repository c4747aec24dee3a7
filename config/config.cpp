#include "config/config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "common/atomic_file.hpp"
#include "common/checksum.hpp"
#include "common/error.hpp"

namespace cagcl {
namespace {

// One typed key of the configuration. `set` parses a YAML node into the bound member and returns an
// error text when the value is not acceptable; `emit` writes the current value.
struct Field {
  std::string path;
  std::string help;
  std::function<std::string(const YAML::Node&)> set;
  std::function<void(YAML::Emitter&)> emit;
};

using Check = std::function<std::string(double)>;

Check positive() {
  return [](double v) { return v > 0 ? "" : "must be > 0"; };
}
Check non_negative() {
  return [](double v) { return v >= 0 ? "" : "must be >= 0"; };
}
Check in_range(double lo, double hi) {
  return [lo, hi](double v) {
    return (v >= lo && v <= hi) ? std::string() : "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
  };
}

template <typename T>
std::string type_name() {
  if constexpr (std::is_same_v<T, bool>)
    return "true or false";
  else if constexpr (std::is_integral_v<T>)
    return "an integer";
  else if constexpr (std::is_floating_point_v<T>)
    return "a finite number";
  else
    return "a string";
}

// Converts a scalar without yaml-cpp's lenient casts ("1.5" must not become the integer 1).
template <typename T>
bool parse_scalar(const YAML::Node& node, T& out) {
  if (!node.IsScalar()) return false;
  const std::string text = node.Scalar();
  if constexpr (std::is_same_v<T, bool>) {
    if (text == "true") return out = true, true;
    if (text == "false") return out = false, true;
    return false;
  } else if constexpr (std::is_integral_v<T>) {
    if (text.empty() || text.find_first_not_of("+-0123456789") != std::string::npos) return false;
    if constexpr (std::is_unsigned_v<T>) {
      if (text[0] == '-') return false;
    }
    try {
      size_t used = 0;
      const long long v = std::stoll(text, &used);
      if (used != text.size()) return false;
      out = static_cast<T>(v);
      return true;
    } catch (const std::exception&) {
      return false;
    }
  } else if constexpr (std::is_floating_point_v<T>) {
    // std::stod also reads "inf" and "nan"; no key means them, and nan would pass every range check.
    try {
      size_t used = 0;
      out = static_cast<T>(std::stod(text, &used));
      return used == text.size() && std::isfinite(out);
    } catch (const std::exception&) {
      return false;
    }
  } else {
    out = text;
    return true;
  }
}

template <typename T>
Field scalar(std::string path, T& ref, std::string help, Check check = {}) {
  Field f{std::move(path), std::move(help), {}, {}};
  f.set = [&ref, check](const YAML::Node& node) -> std::string {
    T value{};
    if (!parse_scalar(node, value)) return "expected " + type_name<T>();
    if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) {
      if (check) {
        auto err = check(static_cast<double>(value));
        if (!err.empty()) return err;
      }
    }
    ref = value;
    return "";
  };
  f.emit = [&ref](YAML::Emitter& out) {
    if constexpr (std::is_same_v<T, bool>)
      out << (ref ? "true" : "false");
    else if constexpr (std::is_same_v<T, std::string>)
      out << YAML::DoubleQuoted << ref;
    else
      out << ref;
  };
  return f;
}

Field one_of(std::string path, std::string& ref, std::vector<std::string> allowed, std::string help) {
  Field f = scalar(std::move(path), ref, std::move(help));
  auto base_set = f.set;
  f.set = [&ref, allowed, base_set](const YAML::Node& node) -> std::string {
    std::string value;
    if (!parse_scalar(node, value)) return "expected a string";
    if (std::find(allowed.begin(), allowed.end(), value) == allowed.end()) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      return "must be one of: " + list;
    }
    ref = value;
    return "";
  };
  return f;
}

template <typename Container>
Field sequence(std::string path, Container& ref, std::string help, Check check, size_t fixed_size = 0) {
  using T = typename Container::value_type;
  Field f{std::move(path), std::move(help), {}, {}};
  f.set = [&ref, check, fixed_size](const YAML::Node& node) -> std::string {
    if (!node.IsSequence()) return "expected a list like [" + std::string(fixed_size ? "a, b, c" : "a, b") + "]";
    if (fixed_size && node.size() != fixed_size) return "expected exactly " + std::to_string(fixed_size) + " values";
    if (!fixed_size && node.size() == 0) return "must not be empty";
    std::vector<T> values(node.size());
    for (size_t i = 0; i < node.size(); ++i) {
      if (!parse_scalar(node[i], values[i])) return "element " + std::to_string(i) + ": expected " + type_name<T>();
      if constexpr (std::is_arithmetic_v<T>) {
        if (check) {
          auto err = check(static_cast<double>(values[i]));
          if (!err.empty()) return "element " + std::to_string(i) + ": " + err;
        }
      }
    }
    if constexpr (std::is_same_v<Container, std::array<T, 3>>) {
      std::copy(values.begin(), values.end(), ref.begin());
    } else {
      ref.assign(values.begin(), values.end());
    }
    return "";
  };
  f.emit = [&ref](YAML::Emitter& out) {
    out << YAML::Flow << YAML::BeginSeq;
    for (const auto& v : ref) out << v;
    out << YAML::EndSeq;
  };
  return f;
}

// The schema: every key, its member, its check and its help, in the order they are printed.
std::vector<Field> fields_of(Config& c) {
  return {
      scalar("data.dir", c.data.dir, "dataset directory (dataset.json + shards)"),
      sequence("data.anatomies", c.data.anatomies, "anatomy names, in the order of the label map values 1..A", {}),
      sequence("data.crop", c.data.crop, "training crop D, H, W in voxels", positive(), 3),
      scalar("data.hu_min", c.data.hu_min, "lower end of the HU window mapped to 0"),
      scalar("data.hu_max", c.data.hu_max, "upper end of the HU window mapped to 1"),
      scalar("data.flip_prob", c.data.flip_prob, "per-axis random flip probability in training", in_range(0, 1)),
      scalar("data.workers", c.data.workers, "loader threads per rank", positive()),
      scalar("data.prefetch", c.data.prefetch, "batches queued ahead of the training step", positive()),
      scalar("data.verify_checksums", c.data.verify_checksums,
             "check every shard's SHA-256 against dataset.json on open"),
      scalar("data.skip_bad_samples", c.data.skip_bad_samples,
             "skip a sample that fails to decode (replaced by the next good one) instead of stopping"),
      scalar("data.max_bad_fraction", c.data.max_bad_fraction,
             "with skip_bad_samples: stop once more than this fraction of the samples read were bad", in_range(0, 1)),
      scalar("data.shard_aware_order", c.data.shard_aware_order,
             "epoch order: shuffle shards, then blocks of a shard (locality) instead of one global shuffle"),
      sequence("synth.size", c.synth.size, "phantom volume D, H, W the demo synthesises", in_range(16, 1024), 3),
      scalar("synth.volumes", c.synth.volumes, "number of phantom volumes the demo synthesises", positive()),
      scalar("synth.shards", c.synth.shards, "number of shards the demo writes", positive()),
      scalar("synth.seed", c.synth.seed, "phantom seed"),
      scalar("synth.valid_fraction", c.synth.valid_fraction, "fraction of patients in the valid split",
             in_range(0, 0.99)),
      scalar("synth.test_fraction", c.synth.test_fraction,
             "fraction of patients in the held-out test split (never trained or tuned on)", in_range(0, 0.99)),
      sequence("vision.patch", c.vision.patch, "3D ViT patch D, H, W", positive(), 3),
      scalar("vision.width", c.vision.width, "ViT width", positive()),
      scalar("vision.depth", c.vision.depth, "ViT blocks", positive()),
      scalar("vision.heads", c.vision.heads, "ViT attention heads", positive()),
      scalar("vision.mlp_ratio", c.vision.mlp_ratio, "ViT MLP width / width", positive()),
      sequence("vision.return_layers", c.vision.return_layers, "1-based blocks whose tokens feed anatomy pooling",
               positive()),
      scalar("text.width", c.text.width, "BERT hidden size", positive()),
      scalar("text.layers", c.text.layers, "BERT layers", positive()),
      scalar("text.heads", c.text.heads, "BERT attention heads", positive()),
      scalar("text.intermediate", c.text.intermediate, "BERT feed-forward size", positive()),
      scalar("text.max_length", c.text.max_length, "max tokens per anatomy text, [CLS] and [SEP] included",
             in_range(3, 512)),
      scalar("text.vocab", c.text.vocab, "WordPiece vocab.txt; empty = built from the dataset's reports"),
      scalar(
          "text.weights", c.text.weights,
          "HuggingFace BERT to start from: .safetensors or model directory (config.json checked); empty = random init"),
      one_of("text.pooling", c.text.pooling, {"mean", "cls"},
             "text embedding from the mean of the token states (from scratch) or the [CLS] state (pretrained BERT)"),
      scalar("model.embed_dim", c.model.embed_dim, "joint embedding size E", positive()),
      scalar("model.pool_heads", c.model.pool_heads, "heads of the anatomy-pooling attention", positive()),
      scalar("model.tau_init", c.model.tau_init, "initial temperature", positive()),
      scalar("model.tau_min", c.model.tau_min, "temperature clamp, lower end", positive()),
      scalar("model.tau_max", c.model.tau_max, "temperature clamp, upper end", positive()),
      scalar("model.separate_global_tau", c.model.separate_global_tau, "the global loss learns its own temperature"),
      scalar("loss.w_local", c.loss.w_local, "weight of the local per-anatomy loss", non_negative()),
      scalar("loss.w_global", c.loss.w_global, "weight of the global cross-anatomy loss (0 = fVLM baseline)",
             non_negative()),
      scalar("loss.skip_all_normal_anatomy", c.loss.skip_all_normal_anatomy,
             "local loss skips an anatomy with no abnormal instance in the global batch (fVLM)"),
      one_of("loss.local_reduction", c.loss.local_reduction, {"sum", "mean"}, "how per-anatomy local losses combine"),
      scalar("augment.p_aug", c.augment.p_aug, "probability that a training text is augmented", in_range(0, 1)),
      scalar("augment.p_keep", c.augment.p_keep, "per-sentence keep probability (at least one kept)", in_range(0, 1)),
      scalar("augment.shuffle", c.augment.shuffle, "permute sentence order when augmenting"),
      scalar("train.batch_size", c.train.batch_size, "volumes per rank per step", positive()),
      scalar("train.steps", c.train.steps, "schedule length in optimizer steps; 0 = from train.epochs", non_negative()),
      scalar("train.epochs", c.train.epochs, "schedule length in epochs when train.steps = 0", non_negative()),
      scalar("train.lr", c.train.lr, "peak learning rate", positive()),
      scalar("train.warmup_lr", c.train.warmup_lr, "learning rate at step 0 of the linear warm-up", non_negative()),
      scalar("train.min_lr", c.train.min_lr, "learning rate at the end of the cosine decay", non_negative()),
      scalar("train.warmup_steps", c.train.warmup_steps, "linear warm-up length", non_negative()),
      scalar("train.weight_decay", c.train.weight_decay, "AdamW decoupled weight decay (not on norms, biases)",
             non_negative()),
      scalar("train.beta1", c.train.beta1, "AdamW beta1", in_range(0, 1)),
      scalar("train.beta2", c.train.beta2, "AdamW beta2", in_range(0, 1)),
      scalar("train.grad_clip", c.train.grad_clip, "clip the global gradient norm to this; 0 = off", non_negative()),
      scalar("train.accumulation", c.train.accumulation, "micro-batches per optimizer step", positive()),
      scalar("train.seed", c.train.seed, "seed of the sampler, augmentation and initialisation"),
      scalar("train.checkpoint_every", c.train.checkpoint_every, "steps between checkpoints; 0 = only at the end",
             non_negative()),
      scalar("train.keep_checkpoints", c.train.keep_checkpoints, "checkpoints kept on disk", positive()),
      scalar("train.log_every", c.train.log_every, "steps between progress lines", positive()),
      scalar("train.val_every", c.train.val_every, "steps between validation losses; 0 = off", non_negative()),
      scalar("train.val_zero_shot", c.train.val_zero_shot,
             "also score the validation split zero-shot at each validation (AUC, template SD, collapse, recall)"),
      scalar("train.zero1", c.train.zero1, "shard the AdamW state across ranks (ZeRO-1)"),
      one_of("train.precision", c.train.precision, {"fp32", "bf16"}, "autocast precision"),
      scalar("comm.bucket_cap_mb", c.comm.bucket_cap_mb, "gradient all-reduce bucket size in MB", positive()),
      scalar("comm.first_bucket_mb", c.comm.first_bucket_mb, "size of the first (earliest launched) bucket in MB",
             positive()),
      scalar("comm.overlap", c.comm.overlap, "all-reduce gradient buckets during backward (false: after it)"),
      scalar("comm.debug_sequence", c.comm.debug_sequence,
             "check before every collective that all ranks call the same one (slow; for debugging)"),
      scalar("comm.failure_timeout_s", c.comm.failure_timeout_s,
             "a collective not complete after this many seconds ends the job (at most a week)", in_range(1e-3, 604800)),
      scalar("monitoring.address", c.monitoring.address, "interface the Prometheus /metrics endpoint listens on"),
      scalar("monitoring.port_base", c.monitoring.port_base,
             "a rank serves /metrics on port_base + its local rank; 0 = no exporter", in_range(0, 65535)),
      one_of("monitoring.on_port_in_use", c.monitoring.on_port_in_use, {"next", "error"},
             "a port in use: move up to the next free one, or stop with an error"),
      scalar("monitoring.file_sd", c.monitoring.file_sd,
             "directory where each rank writes its Prometheus file_sd target file; empty = none"),
      scalar("monitoring.advertise_host", c.monitoring.advertise_host,
             "host name written to file_sd; empty = this node's name (or monitoring.address when not 0.0.0.0)"),
  };
}

// A value from the user's YAML for an error message: short, whatever its size.
std::string shown(const YAML::Node& value) {
  std::string text = value.IsScalar() ? value.Scalar() : YAML::Dump(value);
  if (text.size() > 80) text = text.substr(0, 80) + "...";
  return text;
}

void set_field(Config& config, const std::string& path, const YAML::Node& value, const std::string& origin) {
  auto fields = fields_of(config);
  auto it = std::find_if(fields.begin(), fields.end(), [&](const Field& f) { return f.path == path; });
  if (it == fields.end()) throw UsageError(origin + ": unknown key '" + path + "' (see `cagcl config --keys`)");
  const std::string err = it->set(value);
  if (!err.empty()) throw UsageError(origin + ": key '" + path + "': " + err + " (got '" + shown(value) + "')");
}

// Keys are `section.name`: a mapping is a section only at the top; below, any value goes to its key, whose
// type check names it ("key 'train.steps': expected an integer").
void apply_node(Config& config, const YAML::Node& node, const std::string& prefix, const std::string& origin) {
  for (const auto& item : node) {
    if (!item.first.IsScalar()) {
      throw UsageError(origin + ": " + (prefix.empty() ? "a top-level key" : "a key in '" + prefix + "'") +
                       " is not a name (got '" + shown(item.first) + "')");
    }
    const std::string key = item.first.Scalar();
    const std::string path = prefix.empty() ? key : prefix + "." + key;
    if (prefix.empty() && key == "base") continue;  // handled by load_config
    if (prefix.empty() && item.second.IsMap()) {
      apply_node(config, item.second, path, origin);
    } else {
      set_field(config, path, item.second, origin);
    }
  }
}

YAML::Node parse_yaml(const std::string& text, const std::string& origin) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw UsageError(origin + ": invalid YAML: " + e.what());
  }
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw UsageError("--config: cannot read '" + path + "'");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

bool is_preset(const std::string& name) {
  const auto names = preset_names();
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

void apply_yaml(Config& config, const std::string& yaml_text, const std::string& origin) {
  const YAML::Node root = parse_yaml(yaml_text, origin);
  if (root.IsNull()) return;
  if (!root.IsMap()) throw UsageError(origin + ": expected a mapping of sections (data:, train:, ...)");
  apply_node(config, root, "", origin);
}

void apply_override(Config& config, const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) throw UsageError("--set '" + assignment + "': expected key.path=value");
  const std::string path = assignment.substr(0, eq);
  const std::string origin = "--set " + path;
  set_field(config, path, parse_yaml(assignment.substr(eq + 1), origin), origin);
}

void validate(const Config& c) {
  auto fail = [](const std::string& key, const std::string& why) {
    throw UsageError("config: key '" + key + "': " + why);
  };
  std::set<std::string> unique(c.data.anatomies.begin(), c.data.anatomies.end());
  if (unique.size() != c.data.anatomies.size()) fail("data.anatomies", "names must be unique");
  if (c.data.anatomies.size() > 255) fail("data.anatomies", "at most 255 anatomies fit the uint8 label map");
  if (c.data.hu_min >= c.data.hu_max) fail("data.hu_min", "must be below data.hu_max");
  for (int i = 0; i < 3; ++i) {
    if (c.data.crop[i] % c.vision.patch[i] != 0)
      fail("data.crop", "each size must be a multiple of vision.patch (axis " + std::to_string(i) + ": " +
                            std::to_string(c.data.crop[i]) + " vs " + std::to_string(c.vision.patch[i]) + ")");
  }
  if (c.vision.width % c.vision.heads != 0) fail("vision.width", "must be a multiple of vision.heads");
  for (auto layer : c.vision.return_layers)
    if (layer > c.vision.depth)
      fail("vision.return_layers", "layer " + std::to_string(layer) + " exceeds vision.depth");
  if (c.text.width % c.text.heads != 0) fail("text.width", "must be a multiple of text.heads");
  if (c.vision.width % c.model.pool_heads != 0) fail("model.pool_heads", "must divide vision.width");
  if (c.model.tau_min > c.model.tau_max) fail("model.tau_min", "must not exceed model.tau_max");
  if (c.model.tau_init < c.model.tau_min || c.model.tau_init > c.model.tau_max)
    fail("model.tau_init", "must lie in [model.tau_min, model.tau_max]");
  if (c.train.steps == 0 && c.train.epochs == 0) fail("train.steps", "set train.steps or train.epochs");
  if (c.loss.w_local == 0 && c.loss.w_global == 0) fail("loss.w_local", "loss.w_local and loss.w_global are both 0");
  if (c.synth.valid_fraction + c.synth.test_fraction >= 1)
    fail("synth.test_fraction", "synth.valid_fraction + synth.test_fraction must leave patients for training (< 1)");
}

Config load_config(const std::string& source, const std::vector<std::string>& overrides) {
  Config config;
  if (is_preset(source)) {
    apply_yaml(config, preset_yaml(source), "preset '" + source + "'");
  } else if (std::filesystem::exists(source)) {
    const std::string text = read_text_file(source);
    const YAML::Node root = parse_yaml(text, source);
    if (root.IsMap() && root["base"]) {
      if (!root["base"].IsScalar())
        throw UsageError(source + ": key 'base': expected a preset name (got '" + shown(root["base"]) + "')");
      const std::string base = root["base"].Scalar();
      if (!is_preset(base)) throw UsageError(source + ": key 'base': unknown preset '" + base + "'");
      apply_yaml(config, preset_yaml(base), "preset '" + base + "'");
    }
    apply_yaml(config, text, source);
  } else {
    std::string names;
    for (const auto& n : preset_names()) names += (names.empty() ? "" : ", ") + n;
    throw UsageError("--config '" + source + "': neither a preset (" + names + ") nor a readable file");
  }
  for (const auto& assignment : overrides) apply_override(config, assignment);
  validate(config);
  return config;
}

std::string to_yaml(const Config& config) {
  Config copy = config;  // fields_of binds mutable references
  YAML::Emitter out;
  out << YAML::BeginMap;
  std::string section;
  for (const auto& field : fields_of(copy)) {
    const auto dot = field.path.find('.');
    const std::string field_section = field.path.substr(0, dot);
    if (field_section != section) {
      if (!section.empty()) out << YAML::EndMap;
      section = field_section;
      out << YAML::Key << section << YAML::Value << YAML::BeginMap;
    }
    out << YAML::Key << field.path.substr(dot + 1) << YAML::Value;
    field.emit(out);
  }
  if (!section.empty()) out << YAML::EndMap;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

std::string config_hash(const Config& config) {
  const std::string text = to_yaml(config);
  return sha256_hex(text.data(), text.size());
}

void save_config(const Config& config, const std::string& path) { write_file_atomically(path, to_yaml(config)); }

std::vector<std::pair<std::string, std::string>> config_keys() {
  Config scratch;
  std::vector<std::pair<std::string, std::string>> keys;
  for (const auto& f : fields_of(scratch)) keys.emplace_back(f.path, f.help);
  return keys;
}

}  // namespace cagcl
