#pragma once
// The loader's text side made of the project's parts: training texts are augmented
// (text_augmentation.hpp), evaluation texts are canonical, and both are WordPiece-encoded (tokenizer.hpp),
// padded to a fixed length with an attention mask.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/loader.hpp"
#include "data/text_augmentation.hpp"
#include "data/tokenizer.hpp"

namespace cagcl::data {

TextPipeline make_text_pipeline(std::shared_ptr<const Tokenizer> tokenizer, std::vector<std::string> anatomies,
                                AugmentOptions augment, uint64_t seed, int64_t max_length);

}  // namespace cagcl::data
