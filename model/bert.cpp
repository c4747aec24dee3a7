#include "model/bert.hpp"

#include <torch/torch.h>

#include <string>

#include "common/error.hpp"
#include "model/attention.hpp"

namespace cagcl::model {
namespace {

torch::nn::LayerNorm layer_norm(const BertConfig& config) {
  return torch::nn::LayerNorm(torch::nn::LayerNormOptions({config.hidden_size}).eps(config.layer_norm_eps));
}

std::shared_ptr<torch::nn::Module> name_scope(torch::nn::Module& parent, const std::string& name) {
  return parent.register_module(name, std::make_shared<torch::nn::Module>());
}

}  // namespace

torch::Tensor bert_extended_attention_mask(const torch::Tensor& attention_mask, torch::ScalarType dtype) {
  const auto keep = attention_mask.to(dtype).unsqueeze(1).unsqueeze(2);
  // HF multiplies (1 - mask) by finfo(dtype).min: a padded key gets a weight of exactly 0 after the softmax.
  const double lowest = dtype == torch::kDouble     ? std::numeric_limits<double>::lowest()
                        : dtype == torch::kHalf     ? -65504.0
                        : dtype == torch::kBFloat16 ? -3.3895313892515355e38
                                                    : static_cast<double>(std::numeric_limits<float>::lowest());
  return (1.0 - keep) * lowest;
}

BertEmbeddingsImpl::BertEmbeddingsImpl(const BertConfig& config) {
  word_ = register_module("word_embeddings", torch::nn::Embedding(config.vocab_size, config.hidden_size));
  position_ =
      register_module("position_embeddings", torch::nn::Embedding(config.max_position_embeddings, config.hidden_size));
  token_type_ =
      register_module("token_type_embeddings", torch::nn::Embedding(config.type_vocab_size, config.hidden_size));
  norm_ = register_module("LayerNorm", layer_norm(config));
}

torch::Tensor BertEmbeddingsImpl::forward(const torch::Tensor& input_ids, const torch::Tensor& token_type_ids) {
  const int64_t length = input_ids.size(1);
  const auto positions = torch::arange(length, input_ids.options().dtype(torch::kLong)).unsqueeze(0);
  return norm_(word_(input_ids) + position_(positions) + token_type_(token_type_ids));
}

BertLayerImpl::BertLayerImpl(const BertConfig& config) : heads_(config.num_heads) {
  const int64_t C = config.hidden_size;
  auto attention = name_scope(*this, "attention");
  auto self = name_scope(*attention, "self");
  query_ = self->register_module("query", torch::nn::Linear(C, C));
  key_ = self->register_module("key", torch::nn::Linear(C, C));
  value_ = self->register_module("value", torch::nn::Linear(C, C));
  auto attention_output = name_scope(*attention, "output");
  attention_dense_ = attention_output->register_module("dense", torch::nn::Linear(C, C));
  attention_norm_ = attention_output->register_module("LayerNorm", layer_norm(config));
  intermediate_ =
      name_scope(*this, "intermediate")->register_module("dense", torch::nn::Linear(C, config.intermediate_size));
  auto output = name_scope(*this, "output");
  output_dense_ = output->register_module("dense", torch::nn::Linear(config.intermediate_size, C));
  output_norm_ = output->register_module("LayerNorm", layer_norm(config));
}

torch::Tensor BertLayerImpl::forward(const torch::Tensor& hidden, const torch::Tensor& additive_mask) {
  const int64_t N = hidden.size(0), L = hidden.size(1), C = hidden.size(2), d = C / heads_;
  auto split = [&](const torch::Tensor& x) { return x.view({N, L, heads_, d}).transpose(1, 2); };
  const auto context =
      scaled_dot_product_attention(split(query_(hidden)), split(key_(hidden)), split(value_(hidden)), additive_mask)
          .transpose(1, 2)
          .reshape({N, L, C});
  const auto attended = attention_norm_(attention_dense_(context) + hidden);
  return output_norm_(output_dense_(torch::gelu(intermediate_(attended))) + attended);
}

BertModelImpl::BertModelImpl(const BertConfig& config) : config_(config) {
  if (config.hidden_size % config.num_heads != 0) throw UsageError("text.width: must be a multiple of text.heads");
  embeddings_ = register_module("embeddings", BertEmbeddings(config));
  layers_ = name_scope(*this, "encoder")->register_module("layer", torch::nn::ModuleList());
  for (int64_t i = 0; i < config.num_layers; ++i) layers_->push_back(BertLayer(config));
}

torch::Tensor BertModelImpl::forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask,
                                     const torch::Tensor& token_type_ids) {
  if (input_ids.dim() != 2 || attention_mask.sizes() != input_ids.sizes()) {
    throw UsageError("BERT input_ids and attention_mask must both be [N,L]");
  }
  if (input_ids.size(1) > config_.max_position_embeddings) {
    throw UsageError("text of " + std::to_string(input_ids.size(1)) + " tokens exceeds BERT's " +
                     std::to_string(config_.max_position_embeddings) + " positions");
  }
  const auto types = token_type_ids.defined() ? token_type_ids : torch::zeros_like(input_ids);
  auto hidden = embeddings_(input_ids, types);
  const auto additive = bert_extended_attention_mask(attention_mask, hidden.scalar_type());
  for (const auto& layer : *layers_) hidden = layer->as<BertLayerImpl>()->forward(hidden, additive);
  return hidden;
}

}  // namespace cagcl::model
