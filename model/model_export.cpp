#include "model/model_export.hpp"

#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.hpp"
#include "common/json_file.hpp"
#include "model/safetensors.hpp"

namespace cagcl::model {
namespace {

namespace fs = std::filesystem;

constexpr const char* kModelFile = "model.safetensors";

bool has_prefix(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw IoError("cannot read " + path.string());
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string trim(std::string s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

// The config hash the trainer records in the step directory's manifest.json, if it is there.
std::string manifest_config_hash(const fs::path& step_dir) {
  const auto manifest = step_dir / "manifest.json";
  if (!fs::is_regular_file(manifest)) return "";
  const auto json = parse_json_file(manifest);
  const auto it = json.is_object() ? json.find("config_hash") : json.end();
  if (it != json.end() && it->is_string()) return it->get<std::string>();
  return "";
}

}  // namespace

std::string resolve_model_file(const std::string& checkpoint) {
  const fs::path path(checkpoint);
  if (fs::is_regular_file(path)) return path.string();
  if (fs::is_regular_file(path / kModelFile)) return (path / kModelFile).string();
  const auto latest = path / "checkpoints" / "LATEST";
  if (fs::is_regular_file(latest)) {
    const fs::path named(trim(read_text(latest)));
    if (named.empty()) throw DataError(latest.string() + ": empty");
    const fs::path step = named.is_absolute() ? named : path / "checkpoints" / named;
    if (!fs::is_regular_file(step / kModelFile)) {
      throw DataError(latest.string() + ": names " + step.string() + ", which has no " + kModelFile);
    }
    return (step / kModelFile).string();
  }
  throw UsageError("--checkpoint " + checkpoint + ": not a .safetensors file, a checkpoint directory with " +
                   kModelFile + ", or a run directory with checkpoints/LATEST");
}

namespace {

// The checkpoint's tensors (every key a model parameter name), with the export's metadata in `summary`.
TensorMap read_model_tensors(const std::string& checkpoint, bool bert_only, ExportSummary& summary) {
  summary.source = resolve_model_file(checkpoint);
  std::map<std::string, std::string> source_metadata;
  const TensorMap tensors = read_safetensors(summary.source, source_metadata);
  if (tensors.empty()) throw DataError(summary.source + ": holds no tensors");
  TensorMap exported;
  for (const auto& [name, tensor] : tensors) {
    const bool model_key = has_prefix(name, "vision.") || has_prefix(name, "pooling.") || has_prefix(name, "text.") ||
                           has_prefix(name, "tau_");
    if (!model_key) {
      throw DataError(summary.source + ": tensor '" + name +
                      "' is not a cagcl model parameter (not a model checkpoint?)");
    }
    if (!bert_only)
      exported.emplace(name, tensor);
    else if (has_prefix(name, "text.bert."))
      exported.emplace(name.substr(10), tensor);
  }
  if (exported.empty()) throw DataError(summary.source + ": holds no text.bert.* tensors to export");

  std::string config_hash;
  if (const auto it = source_metadata.find("config_hash"); it != source_metadata.end()) config_hash = it->second;
  if (config_hash.empty()) config_hash = manifest_config_hash(fs::path(summary.source).parent_path());
  summary.metadata = {{"format", "pt"},
                      {"cagcl_format", bert_only ? "hf-bert-model" : "cagcl-model"},
                      {"source", fs::absolute(summary.source).lexically_normal().string()}};
  if (!config_hash.empty()) summary.metadata["config_hash"] = config_hash;
  summary.tensors = exported.size();
  for (const auto& item : exported) summary.bytes += static_cast<uint64_t>(item.second.nbytes());
  return exported;
}

std::string bert_shape_text(c10::IntArrayRef sizes) {
  std::string out = "[";
  for (size_t i = 0; i < sizes.size(); ++i) out += (i ? "," : "") + std::to_string(sizes[i]);
  return out + "]";
}

// Every BertModel parameter of `bert`'s sizes is in `tensors` with its shape, and nothing else is.
void check_bert_shapes(const TensorMap& tensors, const BertConfig& bert, const std::string& source) {
  const int64_t C = bert.hidden_size, I = bert.intermediate_size;
  std::map<std::string, std::vector<int64_t>> expected = {
      {"embeddings.word_embeddings.weight", {bert.vocab_size, C}},
      {"embeddings.position_embeddings.weight", {bert.max_position_embeddings, C}},
      {"embeddings.token_type_embeddings.weight", {bert.type_vocab_size, C}},
      {"embeddings.LayerNorm.weight", {C}},
      {"embeddings.LayerNorm.bias", {C}}};
  for (int64_t n = 0; n < bert.num_layers; ++n) {
    const std::string layer = "encoder.layer." + std::to_string(n) + ".";
    for (const char* linear :
         {"attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"}) {
      expected[layer + linear + ".weight"] = {C, C};
      expected[layer + linear + ".bias"] = {C};
    }
    expected[layer + "intermediate.dense.weight"] = {I, C};
    expected[layer + "intermediate.dense.bias"] = {I};
    expected[layer + "output.dense.weight"] = {C, I};
    expected[layer + "output.dense.bias"] = {C};
    for (const char* norm : {"attention.output.LayerNorm", "output.LayerNorm"}) {
      expected[layer + norm + ".weight"] = {C};
      expected[layer + norm + ".bias"] = {C};
    }
  }
  for (const auto& [name, tensor] : tensors) {
    const auto it = expected.find(name);
    if (it == expected.end())
      throw DataError(source + ": tensor 'text.bert." + name + "' is not part of a BERT of " +
                      std::to_string(bert.num_layers) + " layers (another configuration than the run's?)");
    if (tensor.sizes() != c10::IntArrayRef(it->second))
      throw DataError(source + ": tensor 'text.bert." + name + "' has shape " + bert_shape_text(tensor.sizes()) +
                      ", the configuration's BERT " + bert_shape_text(it->second) +
                      " (another configuration or vocabulary than the run's?)");
  }
  for (const auto& item : expected)
    if (!tensors.count(item.first)) throw DataError(source + ": tensor 'text.bert." + item.first + "' is missing");
}

}  // namespace

ExportSummary export_model(const std::string& checkpoint, const std::string& out, bool bert_only) {
  ExportSummary summary;
  const TensorMap exported = read_model_tensors(checkpoint, bert_only, summary);
  write_safetensors(out, exported, summary.metadata);
  return summary;
}

ExportSummary export_bert_directory(const std::string& checkpoint, const std::string& out, const HfBertExport& info) {
  ExportSummary summary;
  const TensorMap bert = read_model_tensors(checkpoint, true, summary);
  check_bert_shapes(bert, info.bert, summary.source);
  write_hf_bert_directory(out, bert, info, summary.metadata);
  return summary;
}

}  // namespace cagcl::model
