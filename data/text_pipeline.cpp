#include <torch/torch.h>

#include "data/text_pipeline.hpp"

#include <algorithm>

#include "common/error.hpp"

namespace cagcl::data {

TextPipeline make_text_pipeline(std::shared_ptr<const Tokenizer> tokenizer, std::vector<std::string> anatomies,
                                AugmentOptions augment, uint64_t seed, int64_t max_length) {
  if (!tokenizer) throw UsageError("text pipeline: no tokenizer");
  augment.validate();
  TextPipeline pipeline;
  pipeline.max_length = max_length;
  pipeline.text = [anatomies = std::move(anatomies), augment, seed](const Sample& sample, size_t anatomy, int64_t epoch,
                                                                    int64_t sample_index, bool train) {
    if (anatomy >= anatomies.size()) throw UsageError("text pipeline: anatomy index out of range");
    return train ? training_text(sample, anatomy, anatomies[anatomy], augment, seed, epoch, sample_index)
                 : eval_text(sample, anatomy, anatomies[anatomy]);
  };
  pipeline.encode = [tokenizer](const std::string& text, int64_t length, int64_t* ids, int64_t* mask) {
    const Tokenizer::Encoded encoded = tokenizer->encode_padded(text, length);
    std::copy(encoded.ids.begin(), encoded.ids.end(), ids);
    std::copy(encoded.mask.begin(), encoded.mask.end(), mask);
  };
  return pipeline;
}

}  // namespace cagcl::data
