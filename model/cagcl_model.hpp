#pragma once
// The CA-GCL model: 3D ViT + anatomy pooling on the image side, BERT + projection on the text side, and the
// learnable temperatures. It maps a batch to one image and one text embedding per (sample, anatomy); the
// losses (model/contrastive_loss.hpp) decide which of them count.
//
// Parameter names are the checkpoint and export keys (docs/model.md): vision.*, pooling.*, text.bert.*
// (HuggingFace BertModel names), text.projection.*, tau_local and, with model.separate_global_tau, tau_global.
#include <torch/torch.h>

#include <cstdint>

#include "config/config.hpp"
#include "data/batch.hpp"
#include "model/anatomy_pooling.hpp"
#include "model/embeddings.hpp"
#include "model/text_encoder.hpp"
#include "model/vision_transformer.hpp"

namespace cagcl::model {

// BERT sizes from text.*; positions and token types as in every published BERT (512, 2).
BertConfig bert_config(const TextConfig& text, int64_t vocab_size);

class CagclModelImpl : public torch::nn::Module {
 public:
  // Parameters are initialised from train.seed alone (a private generator: the global RNG is untouched),
  // so every rank builds the same model. A non-empty text.weights loads that HuggingFace BERT (a .safetensors
  // file, or a model directory whose config.json must match text.*: model/hf_bert_directory.hpp) into text.bert
  // and logs the missing and unexpected keys (model/weight_import.hpp).
  explicit CagclModelImpl(const Config& config, int64_t vocab_size);

  // Rows that are not intact or not valid get some finite value, never used by a loss. All B*A texts of the
  // batch go through BERT in one [B*A, L] call.
  Embeddings forward(const data::Batch& batch);
  // image [B,1,D,H,W] float, anatomy [B,D,H,W] uint8 label map -> [B,A,E]. D,H,W multiples of the patch;
  // another size than data.crop uses the interpolated position embedding.
  torch::Tensor encode_image(const torch::Tensor& image, const torch::Tensor& anatomy);
  // token_ids, attention [N,L] -> [N,E]
  torch::Tensor encode_text(const torch::Tensor& token_ids, const torch::Tensor& attention);

  // Temperatures clamped to [model.tau_min, model.tau_max] (the losses divide by them).
  torch::Tensor tau_local();
  torch::Tensor tau_global();  // == tau_local() unless model.separate_global_tau
  // Clamps the raw temperature parameters in place (no grad). Call after each optimizer step, as fVLM does,
  // so that a temperature pushed past a bound comes back with the next gradient instead of sticking there.
  void clamp_temperatures();

  int64_t num_anatomies() const { return num_anatomies_; }
  int64_t embed_dim() const { return embed_dim_; }
  VisionTransformer& vision() { return vision_; }
  AnatomyPooling& pooling() { return pooling_; }
  TextEncoder& text() { return text_; }

 private:
  int64_t num_anatomies_;
  int64_t embed_dim_;
  double tau_min_, tau_max_;
  VisionTransformer vision_{nullptr};
  AnatomyPooling pooling_{nullptr};
  TextEncoder text_{nullptr};
  torch::Tensor tau_local_;
  torch::Tensor tau_global_;  // undefined unless separate
};
TORCH_MODULE(CagclModel);

// Deterministic initialisation from `seed` with a private generator: LayerNorm weights 1, biases 0,
// every other weight (linear, embedding, conv, position embedding, queries) N(0, 0.02) as in BERT and ViT.
// Temperatures are left alone.
void initialize_parameters(torch::nn::Module& module, uint64_t seed);

}  // namespace cagcl::model
