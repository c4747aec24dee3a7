#pragma once
// Training-time text augmentation of METHOD.md: with probability p_aug a (sample, anatomy) text has its
// sentence order shuffled (permutation invariance) and each sentence kept with probability p_keep, at least
// one kept (partial completeness). The normal template is never changed.
//
// Only the text changes: the caller keeps Sample::text_id[a], the id of the UN-augmented canonical text,
// for the contrastive losses' false-negative targets (two augmentations of one report are still the same
// report).
//
// Deterministic: every random draw is a function of (seed, epoch, sample index, anatomy) through a
// keyed RNG (data/keyed_rng.hpp), so a resumed run, another rank or another thread count makes
// the same text.
#include <cstdint>
#include <string>
#include <vector>

#include "data/sample.hpp"

namespace cagcl::data {

struct AugmentOptions {
  double p_aug = 0.5;   // probability that a text is augmented at all
  double p_keep = 0.7;  // per-sentence keep probability once augmented
  bool shuffle = true;  // permute the sentence order once augmented
  // UsageError naming augment.p_aug / augment.p_keep when a probability is not in [0, 1].
  void validate() const;
};

// Sentences of anatomy `anatomy` in canonical order (conclusion, then description), augmented as above;
// {normal_template(anatomy_name)} when the anatomy has no sentence.
std::vector<std::string> training_sentences(const Sample& sample, size_t anatomy, const std::string& anatomy_name,
                                            const AugmentOptions& options, uint64_t seed, int64_t epoch,
                                            int64_t sample_index);
// training_sentences joined by one space, as data::canonical_text joins them.
std::string training_text(const Sample& sample, size_t anatomy, const std::string& anatomy_name,
                          const AugmentOptions& options, uint64_t seed, int64_t epoch, int64_t sample_index);
// The un-augmented canonical text (data::canonical_text), for evaluation.
std::string eval_text(const Sample& sample, size_t anatomy, const std::string& anatomy_name);

}  // namespace cagcl::data
