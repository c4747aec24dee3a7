#pragma once
// A BERT encoder whose parameters carry HuggingFace's `BertModel` names, so that published checkpoints
// (CXR-BERT, BiomedBERT, bert-base-uncased) load by name: embeddings.{word_embeddings,position_embeddings,
// token_type_embeddings,LayerNorm}, encoder.layer.N.attention.self.{query,key,value},
// encoder.layer.N.attention.output.{dense,LayerNorm}, encoder.layer.N.intermediate.dense,
// encoder.layer.N.output.{dense,LayerNorm}. No pooler: only the [CLS] hidden state is used.
// Post-norm layers, GELU (erf), LayerNorm eps 1e-12, padding masked as HF's extended attention mask.
#include <torch/torch.h>

#include <cstdint>

namespace cagcl::model {

struct BertConfig {
  int64_t vocab_size = 30522;
  int64_t hidden_size = 768;
  int64_t num_layers = 12;
  int64_t num_heads = 12;
  int64_t intermediate_size = 3072;
  int64_t max_position_embeddings = 512;
  int64_t type_vocab_size = 2;
  double layer_norm_eps = 1e-12;
};

class BertEmbeddingsImpl : public torch::nn::Module {
 public:
  explicit BertEmbeddingsImpl(const BertConfig& config);
  torch::Tensor forward(const torch::Tensor& input_ids, const torch::Tensor& token_type_ids);

 private:
  torch::nn::Embedding word_{nullptr}, position_{nullptr}, token_type_{nullptr};
  torch::nn::LayerNorm norm_{nullptr};
};
TORCH_MODULE(BertEmbeddings);

class BertLayerImpl : public torch::nn::Module {
 public:
  explicit BertLayerImpl(const BertConfig& config);
  // hidden [N,L,C]; additive_mask [N,1,1,L]
  torch::Tensor forward(const torch::Tensor& hidden, const torch::Tensor& additive_mask);

 private:
  int64_t heads_;
  torch::nn::Linear query_{nullptr}, key_{nullptr}, value_{nullptr}, attention_dense_{nullptr};
  torch::nn::LayerNorm attention_norm_{nullptr};
  torch::nn::Linear intermediate_{nullptr}, output_dense_{nullptr};
  torch::nn::LayerNorm output_norm_{nullptr};
};
TORCH_MODULE(BertLayer);

class BertModelImpl : public torch::nn::Module {
 public:
  explicit BertModelImpl(const BertConfig& config);
  // input_ids, attention_mask (1 = token, 0 = padding) [N,L] integer; token_type_ids optional (zeros).
  // Returns the last hidden state [N,L,C] (HF's last_hidden_state).
  torch::Tensor forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask,
                        const torch::Tensor& token_type_ids = {});
  const BertConfig& config() const { return config_; }

 private:
  BertConfig config_;
  BertEmbeddings embeddings_{nullptr};
  torch::nn::ModuleList layers_;
};
TORCH_MODULE(BertModel);

// HF's extended attention mask: 0 where attention_mask is 1, the dtype's lowest value where it is 0,
// shaped [N,1,1,L] to broadcast over heads and query positions.
torch::Tensor bert_extended_attention_mask(const torch::Tensor& attention_mask, torch::ScalarType dtype);

}  // namespace cagcl::model
