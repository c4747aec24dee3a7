#pragma once
// Text-collapse analysis (METHOD.md): pairwise cosine similarities of anatomy-level text embeddings, split
// into pairs of texts about the same anatomy and pairs about different anatomies. A collapsed text space
// piles every pair near 1; a healthy one is bell-shaped, cross-anatomy pairs well below same-anatomy pairs.
// The collapse index is the mean cross-anatomy cosine (the same figure the trainer exports per batch).
#include <cstdint>
#include <vector>

namespace cagcl::eval {

struct SimilarityStats {
  int64_t pairs = 0;
  double mean = 0, sd = 0;  // population SD; NaN when there is no pair
};

// Counts per bin of [-1, 1] split into equal bins (a cosine of exactly 1 falls in the last bin).
struct SimilarityHistogram {
  double lo = -1, hi = 1;
  std::vector<int64_t> same, cross;
};

struct TextSimilarity {
  int64_t texts = 0;
  std::vector<int64_t> texts_per_anatomy;  // index = anatomy id
  SimilarityStats same, cross, all;
  double collapse_index = 0;  // = cross.mean
  SimilarityHistogram histogram;
};

// `embeddings` [texts, dim] (normalised here, so any scale works), `anatomy` [texts] ids in [0, anatomies).
// Every unordered pair i < j counts once. UsageError on shape mismatch, bins < 1 or a bad anatomy id.
TextSimilarity text_similarity(const std::vector<float>& embeddings, int64_t dim, const std::vector<int64_t>& anatomy,
                               int64_t anatomies, int64_t bins = 40);

}  // namespace cagcl::eval
