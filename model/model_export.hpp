#pragma once
// `cagcl export`: the trained model's weights as one self-describing safetensors file, for inference code
// outside this project, or, with bert_only, the text encoder as a HuggingFace BertModel: a directory that
// `BertModel.from_pretrained` reads (model/hf_bert_directory.hpp), or a bare tensor file with HF names.
#include <cstdint>
#include <map>
#include <string>

#include "model/hf_bert_directory.hpp"

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

// The text encoder's BERT as a HuggingFace BertModel directory `out` (config.json, model.safetensors, vocab.txt,
// tokenizer_config.json; written all or nothing). `info` gives what the tensors do not: the heads, the vocabulary,
// the padding id, the tokenizer's length. DataError when the checkpoint's BERT tensors do not have the shapes
// `info.bert` describes (another configuration than the run's?).
ExportSummary export_bert_directory(const std::string& checkpoint, const std::string& out, const HfBertExport& info);

}  // namespace cagcl::model
