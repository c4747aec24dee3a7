#pragma once
// The text side: BERT's [CLS] hidden state, one linear projection shared by all anatomies to the joint
// embedding size E, then L2 normalisation. Parameter names (below the model's `text.` prefix): bert.* (HF
// BertModel names, model/bert.hpp) and projection.{weight,bias}.
#include <torch/torch.h>

#include "model/bert.hpp"

namespace cagcl::model {

class TextEncoderImpl : public torch::nn::Module {
 public:
  TextEncoderImpl(const BertConfig& bert, int64_t embed_dim);
  // token_ids, attention [N,L] (1 = token) -> [N,E], unit rows. All texts of a batch go through one call.
  torch::Tensor forward(const torch::Tensor& token_ids, const torch::Tensor& attention);

  BertModel& bert() { return bert_; }

 private:
  BertModel bert_{nullptr};
  torch::nn::Linear projection_{nullptr};
};
TORCH_MODULE(TextEncoder);

}  // namespace cagcl::model
