#include "model/weight_import.hpp"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <algorithm>

#include "common/error.hpp"

namespace cagcl::model {
namespace {

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string shape_string(const torch::Tensor& t) {
  std::string out = "[";
  for (int64_t i = 0; i < t.dim(); ++i) out += (i ? "," : "") + std::to_string(t.size(i));
  return out + "]";
}

// The prefix shared by every key that carries one of `prefixes` (longest first); "" when the keys have none.
std::string common_prefix(const TensorMap& tensors, const std::vector<std::string>& prefixes) {
  for (const auto& prefix : prefixes) {
    for (const auto& item : tensors) {
      if (starts_with(item.first, prefix)) return prefix;
    }
  }
  return "";
}

// Keys under `prefix` with the prefix removed; keys outside it go to `outside`.
TensorMap strip_prefix(const TensorMap& tensors, const std::string& prefix, std::vector<std::string>& outside) {
  if (prefix.empty()) return tensors;
  TensorMap out;
  for (const auto& [name, tensor] : tensors) {
    if (starts_with(name, prefix))
      out.emplace(name.substr(prefix.size()), tensor);
    else
      outside.push_back(name);
  }
  return out;
}

bool is_position_embedding_grid(const torch::Tensor& t) { return t.dim() == 5 && t.size(0) == 1; }

}  // namespace

WeightImportReport load_named_tensors(torch::nn::Module& module, const TensorMap& tensors, const std::string& source) {
  torch::NoGradGuard no_grad;
  WeightImportReport report;
  std::map<std::string, torch::Tensor> targets;
  for (const auto& item : module.named_parameters()) targets.emplace(item.key(), item.value());
  for (const auto& item : module.named_buffers()) targets.emplace(item.key(), item.value());

  // Check every shape before copying anything: a bad file leaves the module untouched.
  std::map<std::string, torch::Tensor> prepared;
  for (const auto& [name, tensor] : tensors) {
    const auto target = targets.find(name);
    if (target == targets.end()) {
      report.unexpected.push_back(name);
      continue;
    }
    torch::Tensor value = tensor;
    if (value.sizes() != target->second.sizes()) {
      const bool grid_only = ends_with(name, "pos_embed") && is_position_embedding_grid(value) &&
                             is_position_embedding_grid(target->second) && value.size(4) == target->second.size(4);
      if (!grid_only) {
        throw DataError(source + ": tensor '" + name + "' has shape " + shape_string(tensor) + ", the model expects " +
                        shape_string(target->second));
      }
      const Grid grid{target->second.size(1), target->second.size(2), target->second.size(3)};
      value = interpolate_position_embedding(value.to(torch::kFloat), grid);
      report.interpolated.push_back(name + " " + shape_string(tensor) + " -> " + shape_string(target->second));
    }
    if (!value.is_floating_point() && target->second.is_floating_point()) {
      throw DataError(source + ": tensor '" + name + "' is " + std::string(c10::toString(value.scalar_type())) +
                      ", the model expects floating point");
    }
    prepared.emplace(name, value);
  }
  for (auto& [name, target] : targets) {
    const auto value = prepared.find(name);
    if (value == prepared.end()) {
      report.missing.push_back(name);
      continue;
    }
    target.copy_(value->second);
    report.loaded.push_back(name);
  }
  return report;
}

WeightImportReport load_bert_weights(BertModelImpl& bert, const std::string& path) {
  const TensorMap file = read_safetensors(path);
  std::vector<std::string> outside;
  const std::string prefix = common_prefix(file, {"text.bert.", "bert."});
  TensorMap renamed;
  for (auto& [name, tensor] : strip_prefix(file, prefix, outside)) {
    // TensorFlow-converted checkpoints name LayerNorm's parameters gamma/beta; HF renames them on load too.
    std::string key = name;
    if (ends_with(key, "LayerNorm.gamma")) key = key.substr(0, key.size() - 5) + "weight";
    if (ends_with(key, "LayerNorm.beta")) key = key.substr(0, key.size() - 4) + "bias";
    renamed.emplace(key, tensor);
  }
  std::vector<std::string> ignored;
  for (auto it = renamed.begin(); it != renamed.end();) {
    if (starts_with(it->first, "pooler.") || starts_with(it->first, "cls.") || it->first == "embeddings.position_ids") {
      ignored.push_back(prefix + it->first);
      it = renamed.erase(it);
    } else {
      ++it;
    }
  }
  WeightImportReport report = load_named_tensors(bert, renamed, path);
  for (auto& name : report.unexpected) name = prefix + name;
  for (const auto& name : outside) {
    // Heads of BertForMaskedLM / BertForPreTraining and, in a whole-model export, the non-text parameters.
    if (starts_with(name, "cls.") || prefix == "text.bert.")
      ignored.push_back(name);
    else
      report.unexpected.push_back(name);
  }
  report.ignored = std::move(ignored);
  std::sort(report.unexpected.begin(), report.unexpected.end());
  std::sort(report.ignored.begin(), report.ignored.end());
  return report;
}

WeightImportReport load_vision_weights(VisionTransformerImpl& vision, const std::string& path) {
  const TensorMap file = read_safetensors(path);
  std::vector<std::string> outside;
  const std::string prefix = common_prefix(file, {"vision."});
  WeightImportReport report = load_named_tensors(vision, strip_prefix(file, prefix, outside), path);
  for (auto& name : report.unexpected) name = prefix + name;
  report.ignored = outside;  // the rest of a whole-model checkpoint
  return report;
}

void log_weight_import(const WeightImportReport& report, const std::string& what) {
  spdlog::info("{}: loaded {} tensors, {} missing, {} unexpected, {} ignored, {} interpolated", what,
               report.loaded.size(), report.missing.size(), report.unexpected.size(), report.ignored.size(),
               report.interpolated.size());
  auto join = [](const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
  };
  if (!report.missing.empty()) spdlog::warn("{}: missing (left as initialised): {}", what, join(report.missing));
  if (!report.unexpected.empty()) spdlog::warn("{}: unexpected (not loaded): {}", what, join(report.unexpected));
  if (!report.interpolated.empty()) spdlog::info("{}: interpolated: {}", what, join(report.interpolated));
  if (!report.ignored.empty()) spdlog::debug("{}: ignored: {}", what, join(report.ignored));
}

}  // namespace cagcl::model
