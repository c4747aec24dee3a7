#include "data/text_augmentation.hpp"

#include <fmt/format.h>

#include <utility>

#include "common/error.hpp"
#include "data/keyed_rng.hpp"
#include "data/schema.hpp"
#include "data/text_id.hpp"

namespace cagcl::data {

namespace {

void check_anatomy(const Sample& sample, size_t anatomy) {
  if (anatomy >= sample.conclusion.size() || anatomy >= sample.description.size())
    throw UsageError(fmt::format("sample '{}': anatomy index {} out of range ({} anatomies)", sample.name, anatomy,
                                 sample.conclusion.size()));
}

std::string joined(const std::vector<std::string>& sentences) {
  std::string text;
  for (const auto& s : sentences) {
    if (!text.empty()) text += ' ';
    text += s;
  }
  return text;
}

}  // namespace

void AugmentOptions::validate() const {
  if (!(p_aug >= 0.0 && p_aug <= 1.0)) throw UsageError(fmt::format("augment.p_aug {}: must be in [0, 1]", p_aug));
  if (!(p_keep >= 0.0 && p_keep <= 1.0)) throw UsageError(fmt::format("augment.p_keep {}: must be in [0, 1]", p_keep));
}

std::vector<std::string> training_sentences(const Sample& sample, size_t anatomy, const std::string& anatomy_name,
                                            const AugmentOptions& options, uint64_t seed, int64_t epoch,
                                            int64_t sample_index) {
  options.validate();
  check_anatomy(sample, anatomy);
  std::vector<std::string> sentences = sample.conclusion[anatomy];
  sentences.insert(sentences.end(), sample.description[anatomy].begin(), sample.description[anatomy].end());
  if (sentences.empty()) return {normal_template(anatomy_name)};

  // Anatomy indices fit 8 bits (the label map is uint8), so (sample, anatomy) packs into one key part.
  KeyedRng rng(seed, RngPurpose::text_augmentation, static_cast<uint64_t>(epoch),
               (static_cast<uint64_t>(sample_index) << 8) | static_cast<uint64_t>(anatomy));
  // Draw 0 decides whether to augment; `<` makes p_aug = 0 never and p_aug = 1 always augment.
  if (!(rng.uniform() < options.p_aug)) return sentences;
  if (options.shuffle) {
    for (size_t i = sentences.size() - 1; i > 0; --i) std::swap(sentences[i], sentences[rng.below(i + 1)]);
  }
  std::vector<std::string> kept;
  for (auto& s : sentences) {
    if (rng.uniform() < options.p_keep) kept.push_back(s);
  }
  // At least one sentence: a uniformly chosen one, so no position is favoured.
  if (kept.empty()) kept.push_back(sentences[rng.below(sentences.size())]);
  return kept;
}

std::string training_text(const Sample& sample, size_t anatomy, const std::string& anatomy_name,
                          const AugmentOptions& options, uint64_t seed, int64_t epoch, int64_t sample_index) {
  return joined(training_sentences(sample, anatomy, anatomy_name, options, seed, epoch, sample_index));
}

std::string eval_text(const Sample& sample, size_t anatomy, const std::string& anatomy_name) {
  check_anatomy(sample, anatomy);
  return canonical_text(anatomy_name, sample.conclusion[anatomy], sample.description[anatomy]);
}

}  // namespace cagcl::data
