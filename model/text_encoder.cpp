#include "model/text_encoder.hpp"

#include <torch/torch.h>

#include "common/error.hpp"

namespace cagcl::model {

TextEncoderImpl::TextEncoderImpl(const BertConfig& bert, int64_t embed_dim, TextPooling pooling) : pooling_(pooling) {
  bert_ = register_module("bert", BertModel(bert));
  projection_ = register_module("projection",
                                torch::nn::Linear(torch::nn::LinearOptions(bert.hidden_size, embed_dim).bias(false)));
}

torch::Tensor TextEncoderImpl::forward(const torch::Tensor& token_ids, const torch::Tensor& attention) {
  const auto hidden = bert_(token_ids, attention);
  torch::Tensor pooled;
  if (pooling_ == TextPooling::cls) {
    pooled = hidden.select(1, 0);
  } else {
    const auto mask = attention.to(hidden.dtype()).unsqueeze(-1);
    pooled = (hidden * mask).sum(1) / mask.sum(1).clamp_min(1);
  }
  return torch::nn::functional::normalize(projection_(pooled),
                                          torch::nn::functional::NormalizeFuncOptions().p(2).dim(-1));
}

TextPooling text_pooling_from_string(const std::string& name) {
  if (name == "cls") return TextPooling::cls;
  if (name == "mean") return TextPooling::mean;
  throw UsageError("text.pooling: '" + name + "' is not cls or mean");
}

}  // namespace cagcl::model
