#include "eval/text_similarity.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "common/error.hpp"

namespace cagcl::eval {
namespace {

struct Accumulator {
  int64_t n = 0;
  double sum = 0, sq = 0;
  void add(double x) { ++n, sum += x, sq += x * x; }
  SimilarityStats stats() const {
    SimilarityStats s;
    s.pairs = n;
    if (n == 0) {
      s.mean = s.sd = std::numeric_limits<double>::quiet_NaN();
      return s;
    }
    s.mean = sum / static_cast<double>(n);
    s.sd = std::sqrt(std::max(0.0, sq / static_cast<double>(n) - s.mean * s.mean));
    return s;
  }
};

}  // namespace

TextSimilarity text_similarity(const std::vector<float>& embeddings, int64_t dim, const std::vector<int64_t>& anatomy,
                               int64_t anatomies, int64_t bins) {
  const int64_t M = static_cast<int64_t>(anatomy.size());
  if (dim < 1 || static_cast<int64_t>(embeddings.size()) != M * dim)
    throw UsageError("text_similarity: " + std::to_string(embeddings.size()) + " values for " + std::to_string(M) +
                     " texts of dimension " + std::to_string(dim));
  if (bins < 1) throw UsageError("text_similarity: bins must be >= 1");
  TextSimilarity out;
  out.texts = M;
  out.texts_per_anatomy.assign(static_cast<size_t>(std::max<int64_t>(anatomies, 0)), 0);
  for (int64_t a : anatomy) {
    if (a < 0 || a >= anatomies) throw UsageError("text_similarity: anatomy id " + std::to_string(a) + " out of range");
    ++out.texts_per_anatomy[a];
  }
  std::vector<double> unit(embeddings.begin(), embeddings.end());
  for (int64_t i = 0; i < M; ++i) {
    double norm = 0;
    for (int64_t k = 0; k < dim; ++k) norm += unit[i * dim + k] * unit[i * dim + k];
    norm = std::sqrt(norm);
    for (int64_t k = 0; k < dim; ++k) unit[i * dim + k] = norm > 0 ? unit[i * dim + k] / norm : 0.0;
  }
  out.histogram.same.assign(bins, 0);
  out.histogram.cross.assign(bins, 0);
  Accumulator same, cross, all;
  for (int64_t i = 0; i < M; ++i) {
    for (int64_t j = i + 1; j < M; ++j) {
      double c = 0;
      for (int64_t k = 0; k < dim; ++k) c += unit[i * dim + k] * unit[j * dim + k];
      c = std::clamp(c, -1.0, 1.0);
      const bool is_same = anatomy[i] == anatomy[j];
      (is_same ? same : cross).add(c);
      all.add(c);
      const int64_t bin = std::min<int64_t>(bins - 1, static_cast<int64_t>(std::floor((c + 1.0) / 2.0 * bins)));
      ++(is_same ? out.histogram.same : out.histogram.cross)[bin];
    }
  }
  out.same = same.stats();
  out.cross = cross.stats();
  out.all = all.stats();
  out.collapse_index = out.cross.mean;
  return out;
}

}  // namespace cagcl::eval
