#include "model/hf_bert_directory.hpp"

#include <unistd.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/json_file.hpp"

namespace cagcl::model {
namespace {

namespace fs = std::filesystem;

bool has_suffix(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string dtype_name(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat: return "float32";
    case torch::kBFloat16: return "bfloat16";
    case torch::kHalf: return "float16";
    case torch::kDouble: return "float64";
    default: throw DataError(std::string("BERT weights of dtype ") + c10::toString(type) + " cannot be exported");
  }
}

// Removes a staging directory unless it was renamed into place.
struct StagingDirectory {
  fs::path path;
  bool committed = false;
  ~StagingDirectory() {
    std::error_code ignored;
    if (!committed) fs::remove_all(path, ignored);
  }
};

// `dir` without a trailing slash, so that its filename() and parent are what the user meant.
fs::path normalized_directory(const fs::path& dir) {
  fs::path out = dir.lexically_normal();
  if (out.filename().empty()) out = out.parent_path();
  return out;
}

// Bounded read of a small text file from outside.
std::string read_bounded(const fs::path& path, uintmax_t limit, const std::string& what) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) throw IoError("cannot read " + path.string() + ": " + ec.message());
  if (size > limit)
    throw DataError(path.string() + ": " + std::to_string(size) + " bytes, more than a " + what + " (limit " +
                    std::to_string(limit) + ")");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError("cannot read " + path.string());
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// vocab.txt's tokens as data::Tokenizer reads them: one a line, a trailing '\r' dropped.
std::vector<std::string> read_vocab_tokens(const fs::path& path) {
  std::istringstream in(read_bounded(path, kMaxHfVocabBytes, "vocabulary"));
  std::vector<std::string> tokens;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    tokens.push_back(line);
  }
  return tokens;
}

// A config.json value, or HF's BertConfig default when the key is absent (as transformers reads it).
int64_t integer_field(const nlohmann::json& config, const char* key, int64_t fallback, const std::string& origin) {
  const auto it = config.find(key);
  if (it == config.end()) return fallback;
  if (!it->is_number_integer())
    throw DataError(origin + ": " + key + " must be an integer, found " + json_excerpt(*it));
  return it->get<int64_t>();
}

std::string string_field(const nlohmann::json& config, const char* key, const std::string& fallback,
                         const std::string& origin) {
  const auto it = config.find(key);
  if (it == config.end()) return fallback;
  if (!it->is_string()) throw DataError(origin + ": " + key + " must be a string, found " + json_excerpt(*it));
  return it->get<std::string>();
}

std::string number_text(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

// The HF model directory `weights` names: the snapshot of a hub cache directory (models--ORG--NAME, whose
// refs/main holds the commit of snapshots/COMMIT), else `weights` itself.
fs::path model_directory(const fs::path& weights) {
  const auto ref = weights / "refs" / "main";
  if (fs::is_regular_file(weights / kHfConfigFile) || !fs::is_regular_file(ref)) return weights;
  std::string commit = read_bounded(ref, 256, "commit hash");
  commit.erase(commit.find_last_not_of(" \t\r\n") + 1);
  if (commit.empty() || commit.find_first_not_of("0123456789abcdef") != std::string::npos)
    throw DataError(ref.string() + ": not a commit hash");
  return weights / "snapshots" / commit;
}

[[noreturn]] void refuse_pickle(const std::string& what) {
  throw DataError("text.weights " + what +
                  ": PyTorch pickle weights are not read (unpickling runs arbitrary code); download the model's "
                  "model.safetensors instead, or convert once with the safetensors package in Python "
                  "(docs/model.md)");
}

}  // namespace

nlohmann::ordered_json hf_bert_config_json(const BertConfig& bert, int64_t pad_token_id, const std::string& dtype) {
  nlohmann::ordered_json config;
  config["architectures"] = {"BertModel"};
  config["model_type"] = "bert";
  config["vocab_size"] = bert.vocab_size;
  config["hidden_size"] = bert.hidden_size;
  config["num_hidden_layers"] = bert.num_layers;
  config["num_attention_heads"] = bert.num_heads;
  config["intermediate_size"] = bert.intermediate_size;
  config["hidden_act"] = "gelu";  // erf GELU, as model/bert.cpp
  config["max_position_embeddings"] = bert.max_position_embeddings;
  config["type_vocab_size"] = bert.type_vocab_size;
  config["layer_norm_eps"] = bert.layer_norm_eps;
  config["hidden_dropout_prob"] = 0.0;
  config["attention_probs_dropout_prob"] = 0.0;
  config["initializer_range"] = 0.02;
  config["pad_token_id"] = pad_token_id;
  config["position_embedding_type"] = "absolute";
  config["torch_dtype"] = dtype;
  return config;
}

nlohmann::ordered_json hf_tokenizer_config_json(const std::vector<std::string>& vocab, int64_t max_length) {
  nlohmann::ordered_json config;
  config["tokenizer_class"] = "BertTokenizer";
  config["do_lower_case"] = true;
  config["strip_accents"] = nullptr;  // follows do_lower_case, as data/basic_tokenizer.hpp
  config["tokenize_chinese_chars"] = true;
  config["model_max_length"] = max_length;
  for (const auto& [key, token] : {std::pair<const char*, const char*>{"unk_token", "[UNK]"},
                                   {"sep_token", "[SEP]"},
                                   {"pad_token", "[PAD]"},
                                   {"cls_token", "[CLS]"},
                                   {"mask_token", "[MASK]"}}) {
    if (std::find(vocab.begin(), vocab.end(), token) != vocab.end()) config[key] = token;
  }
  return config;
}

void write_hf_bert_directory(const fs::path& out, const TensorMap& bert_tensors, const HfBertExport& info,
                             const std::map<std::string, std::string>& metadata) {
  const fs::path dir = normalized_directory(out);
  if (fs::exists(dir) && !(fs::is_directory(dir) && fs::is_empty(dir)))
    throw UsageError("--out " + dir.string() +
                     ": exists and is not an empty directory; remove it or name a new directory (an earlier "
                     "export is never overwritten piecemeal)");
  const auto words = bert_tensors.find("embeddings.word_embeddings.weight");
  if (words == bert_tensors.end()) throw DataError("the BERT weights have no embeddings.word_embeddings.weight");
  if (words->second.size(0) != static_cast<int64_t>(info.vocab.size()))
    throw DataError("the vocabulary has " + std::to_string(info.vocab.size()) + " tokens, the BERT's word embeddings " +
                    std::to_string(words->second.size(0)) + " rows (another vocabulary than the run's?)");

  const fs::path parent = dir.has_parent_path() ? dir.parent_path() : fs::path(".");
  create_directories_durably(parent);
  StagingDirectory staging{parent / ("." + dir.filename().string() + ".tmp." + std::to_string(::getpid()))};
  fs::remove_all(staging.path);
  fs::create_directory(staging.path);

  write_safetensors((staging.path / kHfWeightsFile).string(), bert_tensors, metadata);
  const auto config = hf_bert_config_json(info.bert, info.pad_token_id, dtype_name(words->second.scalar_type()));
  write_file_atomically(staging.path / kHfConfigFile, dump_json(config, 2) + "\n");
  std::string vocab;
  for (const auto& token : info.vocab) vocab += token + "\n";
  write_file_atomically(staging.path / kHfVocabFile, vocab);
  write_file_atomically(staging.path / kHfTokenizerConfigFile,
                        dump_json(hf_tokenizer_config_json(info.vocab, info.max_length), 2) + "\n");
  fsync_path(staging.path);
  durable_rename(staging.path, dir);  // replaces an empty directory; the files appear all at once
  staging.committed = true;
}

std::vector<std::string> hf_bert_config_mismatches(const nlohmann::json& config, const BertConfig& model,
                                                   const std::string& origin) {
  if (!config.is_object()) throw DataError(origin + ": not a JSON object");
  std::vector<std::string> out;
  const auto integer = [&](const char* key, int64_t hf_default, int64_t expected, const std::string& setting) {
    const int64_t found = integer_field(config, key, hf_default, origin);
    if (found != expected)
      out.push_back(std::string(key) + ": expected " + std::to_string(expected) + " (" + setting + "), found " +
                    std::to_string(found));
  };
  const auto text = [&](const char* key, const std::string& hf_default, const std::string& expected,
                        const std::string& why) {
    const std::string found = string_field(config, key, hf_default, origin);
    if (found != expected)
      out.push_back(std::string(key) + ": expected \"" + expected + "\" (" + why + "), found \"" +
                    valid_utf8(found).substr(0, 80) + "\"");
  };
  // Absent keys take HF's BertConfig defaults; an old config.json (Bio_ClinicalBERT's) has no model_type.
  text("model_type", "bert", "bert", "cagcl's text encoder is a BERT");
  integer("vocab_size", 30522, model.vocab_size, "the tokens of text.vocab");
  integer("hidden_size", 768, model.hidden_size, "text.width");
  integer("num_hidden_layers", 12, model.num_layers, "text.layers");
  integer("num_attention_heads", 12, model.num_heads, "text.heads");
  integer("intermediate_size", 3072, model.intermediate_size, "text.intermediate");
  integer("max_position_embeddings", 512, model.max_position_embeddings, "512, or text.max_length when larger");
  integer("type_vocab_size", 2, model.type_vocab_size, "cagcl's BERT");
  text("hidden_act", "gelu", "gelu", "cagcl's BERT uses the erf GELU");
  text("position_embedding_type", "absolute", "absolute", "cagcl's BERT");
  const auto eps = config.find("layer_norm_eps");
  if (eps != config.end()) {
    if (!eps->is_number()) throw DataError(origin + ": layer_norm_eps must be a number, found " + json_excerpt(*eps));
    const double found = eps->get<double>();
    if (!(std::fabs(found - model.layer_norm_eps) <= 1e-6 * model.layer_norm_eps))
      out.push_back("layer_norm_eps: expected " + number_text(model.layer_norm_eps) + " (cagcl's BERT), found " +
                    number_text(found));
  }
  return out;
}

void check_hf_bert_directory(const fs::path& dir, const BertConfig& model, const std::string& text_vocab) {
  const fs::path config_path = dir / kHfConfigFile;
  read_bounded(config_path, kMaxHfConfigBytes, "BERT config.json");  // the size bound, before parsing
  const auto config = parse_json_file(config_path);
  auto mismatches = hf_bert_config_mismatches(config, model, config_path.string());
  const fs::path vocab_path = dir / kHfVocabFile;
  if (fs::is_regular_file(vocab_path)) {
    if (text_vocab.empty()) {
      mismatches.push_back(
          "vocab.txt: expected text.vocab to name it (the weights' token ids), found text.vocab "
          "empty (the dataset's own vocabulary); set text.vocab: " +
          vocab_path.string());
    } else {
      const auto theirs = read_vocab_tokens(vocab_path);
      const auto ours = read_vocab_tokens(text_vocab);
      if (theirs != ours) {
        size_t line = 0;
        while (line < theirs.size() && line < ours.size() && theirs[line] == ours[line]) ++line;
        mismatches.push_back("vocab.txt: expected the tokens of text.vocab " + text_vocab +
                             ", found a difference at line " + std::to_string(line + 1) + " (" +
                             std::to_string(theirs.size()) + " tokens against " + std::to_string(ours.size()) + ")");
      }
    }
  }
  if (mismatches.empty()) return;
  std::string message = "text.weights " + dir.string() + ": config.json/vocab.txt do not fit the model text.* builds:";
  for (const auto& m : mismatches) message += "\n  " + m;
  throw UsageError(message);
}

std::string resolve_text_weights(const std::string& weights, const BertConfig& model, const std::string& text_vocab) {
  const fs::path path(weights);
  if (!fs::exists(path)) throw UsageError("text.weights: no such file or directory '" + weights + "'");
  if (!fs::is_directory(path)) {
    for (const char* pickle : {".bin", ".pt", ".pth", ".ckpt", ".pkl"})
      if (has_suffix(weights, pickle)) refuse_pickle(weights);
    return weights;  // a bare .safetensors: its tensor shapes are checked as it loads
  }
  const fs::path dir = model_directory(path);
  const fs::path safetensors = dir / kHfWeightsFile;
  if (!fs::is_regular_file(dir / kHfConfigFile))
    throw UsageError("text.weights " + dir.string() + ": a directory without " + kHfConfigFile +
                     " (not a HuggingFace model directory)");
  if (!fs::is_regular_file(safetensors)) {
    if (fs::is_regular_file(dir / "model.safetensors.index.json"))
      throw DataError("text.weights " + dir.string() + ": sharded safetensors weights are not supported");
    if (fs::is_regular_file(dir / "pytorch_model.bin")) refuse_pickle((dir / "pytorch_model.bin").string());
    throw UsageError("text.weights " + dir.string() + ": no " + kHfWeightsFile);
  }
  check_hf_bert_directory(dir, model, text_vocab);
  return safetensors.string();
}

}  // namespace cagcl::model
