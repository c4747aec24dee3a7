#include "model/text_encoder.hpp"

#include <torch/torch.h>

namespace cagcl::model {

TextEncoderImpl::TextEncoderImpl(const BertConfig& bert, int64_t embed_dim) {
  bert_ = register_module("bert", BertModel(bert));
  projection_ = register_module("projection", torch::nn::Linear(bert.hidden_size, embed_dim));
}

torch::Tensor TextEncoderImpl::forward(const torch::Tensor& token_ids, const torch::Tensor& attention) {
  const auto cls = bert_(token_ids, attention).select(1, 0);
  return torch::nn::functional::normalize(projection_(cls), torch::nn::functional::NormalizeFuncOptions().p(2).dim(-1));
}

}  // namespace cagcl::model
