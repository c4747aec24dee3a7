#pragma once
// Loading weights by parameter name from safetensors files: a published HuggingFace BERT into the text
// encoder, a ViT or whole-model checkpoint into the model. Keys the file lacks stay as initialised and are
// reported as missing; keys the model lacks are reported as unexpected (or, for heads that a BertModel never
// has, as ignored). A shape mismatch is a DataError naming the key, except for the ViT position embedding,
// which is resampled to the model's token grid.
#include <torch/torch.h>

#include <string>
#include <vector>

#include "model/bert.hpp"
#include "model/safetensors.hpp"
#include "model/vision_transformer.hpp"

namespace cagcl::model {

struct WeightImportReport {
  std::vector<std::string> loaded;        // model parameter names that received a tensor
  std::vector<std::string> missing;       // model parameters the file has no tensor for (left as they were)
  std::vector<std::string> unexpected;    // file keys that match no parameter (not loaded)
  std::vector<std::string> ignored;       // file keys that are expected extras (cls.*, pooler.*, position_ids)
  std::vector<std::string> interpolated;  // parameters resampled to another grid, with "from -> to"
};

// Copies `tensors` into the parameters (and buffers) of `module` by name, converting the dtype. Names are
// the module's own (no prefix). A tensor whose name ends in "pos_embed" and has the 5-D [1,gD,gH,gW,C] layout
// is interpolated when only the grid differs. `source` names the file in errors.
WeightImportReport load_named_tensors(torch::nn::Module& module, const TensorMap& tensors, const std::string& source);

// A HuggingFace BERT .safetensors (BertModel, BertForMaskedLM, ...: keys with or without a "bert." prefix,
// or this project's export with "text.bert.") into `bert`. Old TensorFlow-converted names
// (LayerNorm.gamma/beta) are accepted. cls.*, pooler.* and embeddings.position_ids are ignored.
WeightImportReport load_bert_weights(BertModelImpl& bert, const std::string& path);

// A vision checkpoint (keys with or without the "vision." prefix) into a ViT, interpolating pos_embed.
WeightImportReport load_vision_weights(VisionTransformerImpl& vision, const std::string& path);

// Logs loaded/missing/unexpected/ignored/interpolated counts at info and the key lists at warn (missing,
// unexpected) or debug (the rest).
void log_weight_import(const WeightImportReport& report, const std::string& what);

}  // namespace cagcl::model
