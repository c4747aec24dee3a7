#pragma once
// `cagcl export`: the trained model's weights as one self-describing safetensors file, for inference code
// outside this project (or, with bert_only, a plain HuggingFace BertModel file of the text encoder).
#include <cstdint>
#include <map>
#include <string>

namespace cagcl::model {

// `checkpoint` is a .safetensors file, a checkpoint step directory holding model.safetensors, or a run
// directory whose checkpoints/LATEST names the step directory. UsageError when none of these exists.
std::string resolve_model_file(const std::string& checkpoint);

struct ExportSummary {
  std::string source;  // the model.safetensors that was read
  size_t tensors = 0;
  uint64_t bytes = 0;  // tensor data written
  std::map<std::string, std::string> metadata;
};

// Reads the model weights (every key must be a CagclModel parameter name: vision.*, pooling.*, text.*,
// tau_*), writes them atomically to `out` with metadata format=pt, cagcl_format, source and, when the
// checkpoint records it, config_hash. bert_only: only text.bert.*, renamed to HF BertModel names.
ExportSummary export_model(const std::string& checkpoint, const std::string& out, bool bert_only = false);

}  // namespace cagcl::model
