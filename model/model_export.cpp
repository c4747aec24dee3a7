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

ExportSummary export_model(const std::string& checkpoint, const std::string& out, bool bert_only) {
  ExportSummary summary;
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
  write_safetensors(out, exported, summary.metadata);
  summary.tensors = exported.size();
  for (const auto& item : exported) summary.bytes += static_cast<uint64_t>(item.second.nbytes());
  return summary;
}

}  // namespace cagcl::model
