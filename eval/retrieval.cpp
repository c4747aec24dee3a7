#include <torch/torch.h>

#include "eval/retrieval.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "common/error.hpp"

namespace cagcl::eval {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// [rows, dim] float64 with unit rows (a zero row stays zero). Double precision so that equal cosines of
// different rows stay equal whatever order BLAS sums in: the tie rule then decides, not rounding.
torch::Tensor unit_rows(const std::vector<float>& values, int64_t rows, int64_t dim) {
  torch::Tensor t = torch::empty({rows, dim}, torch::kFloat64);
  double* out = t.data_ptr<double>();
  for (size_t i = 0; i < values.size(); ++i) out[i] = values[i];
  return torch::nn::functional::normalize(t, torch::nn::functional::NormalizeFuncOptions().p(2).dim(1));
}

// Rank of each query's first hit under the pessimistic tie rule (retrieval.hpp): 1 + the number of
// non-matching candidates scoring >= the best matching one. `scores`, `matching` [Q, C], Q >= 1, and every
// row has a matching candidate. A NaN best score gets the largest rank (a miss at every K).
torch::Tensor first_hit_ranks(const torch::Tensor& scores, const torch::Tensor& matching) {
  const torch::Tensor other = matching.logical_not();
  const torch::Tensor best = scores.masked_fill(other, -std::numeric_limits<double>::infinity()).amax(1, true);
  const torch::Tensor rank = (scores.ge(best) & other).sum(1) + 1;
  return torch::where(best.squeeze(1).isnan(), torch::full_like(rank, std::numeric_limits<int64_t>::max()), rank);
}

RetrievalRecall recall_at(const torch::Tensor& scores, const torch::Tensor& matching, const std::vector<int64_t>& ks) {
  RetrievalRecall r;
  r.queries = scores.size(0), r.candidates = scores.size(1);
  if (r.queries == 0) {
    r.recall.assign(ks.size(), kNaN);
    return r;
  }
  const torch::Tensor ranks = first_hit_ranks(scores, matching);
  for (int64_t k : ks) r.recall.push_back(ranks.le(k).to(torch::kFloat64).mean().item<double>());
  return r;
}

void check_set(const RetrievalSet& s) {
  const std::string where = "retrieval (anatomy '" + s.anatomy + "'): ";
  const auto n = s.image_text_id.size(), m = s.text_id.size();
  if ((n + m > 0 && s.dim < 1) || s.images.size() != n * static_cast<size_t>(std::max<int64_t>(s.dim, 0)) ||
      s.image_normal.size() != n || s.texts.size() != m * static_cast<size_t>(std::max<int64_t>(s.dim, 0)))
    throw UsageError(where + std::to_string(n) + " instances (" + std::to_string(s.images.size()) + " values, " +
                     std::to_string(s.image_normal.size()) + " normal flags) and " + std::to_string(m) + " texts (" +
                     std::to_string(s.texts.size()) + " values) do not fit dimension " + std::to_string(s.dim));
  const std::set<int64_t> ids(s.text_id.begin(), s.text_id.end());
  if (ids.size() != m) throw UsageError(where + "the candidate text ids are not distinct");
  for (size_t i = 0; i < n; ++i)
    if (!s.image_normal[i] && ids.count(s.image_text_id[i]) == 0)
      throw UsageError(where + "instance " + std::to_string(i) + " has text id " + std::to_string(s.image_text_id[i]) +
                       ", which is not among the candidate texts");
}

AnatomyRetrieval retrieve_one(const RetrievalSet& s, const std::vector<int64_t>& ks) {
  check_set(s);
  std::vector<int64_t> abnormal;
  for (size_t i = 0; i < s.image_normal.size(); ++i)
    if (!s.image_normal[i]) abnormal.push_back(static_cast<int64_t>(i));
  const auto N = static_cast<int64_t>(s.image_text_id.size()), M = static_cast<int64_t>(s.text_id.size());
  const int64_t E = std::max<int64_t>(s.dim, 1);
  const torch::Tensor rows = torch::tensor(abnormal, torch::kInt64);
  const torch::Tensor images = unit_rows(s.images, N, E).index_select(0, rows);
  const torch::Tensor image_ids = torch::tensor(s.image_text_id, torch::kInt64).index_select(0, rows);
  const torch::Tensor texts = unit_rows(s.texts, M, E);
  const torch::Tensor text_ids = torch::tensor(s.text_id, torch::kInt64);
  const torch::Tensor scores = images.matmul(texts.t());                            // [Q, M] cosines
  const torch::Tensor matching = image_ids.unsqueeze(1).eq(text_ids.unsqueeze(0));  // [Q, M]
  AnatomyRetrieval out;
  out.anatomy = s.anatomy;
  out.image_to_report = recall_at(scores, matching, ks);
  // Report -> image: only texts that some abnormal instance has are queries (the others cannot be found).
  const torch::Tensor queried = matching.any(0).nonzero().squeeze(1);
  out.report_to_image = recall_at(scores.t().index_select(0, queried), matching.t().index_select(0, queried), ks);
  return out;
}

}  // namespace

RetrievalResult retrieval_recall(const std::vector<RetrievalSet>& sets, const std::vector<int64_t>& ks) {
  if (ks.empty()) throw UsageError("retrieval: no K given");
  for (int64_t k : ks)
    if (k < 1) throw UsageError("retrieval: K = " + std::to_string(k) + " must be >= 1");
  torch::NoGradGuard no_grad;
  RetrievalResult out;
  out.ks = ks;
  out.mean_image_to_report.assign(ks.size(), 0.0);
  out.mean_report_to_image.assign(ks.size(), 0.0);
  for (const auto& s : sets) {
    out.anatomies.push_back(retrieve_one(s, ks));
    const auto& a = out.anatomies.back();
    if (a.image_to_report.queries == 0) continue;  // reported, left out of the mean
    ++out.anatomies_in_mean;
    for (size_t k = 0; k < ks.size(); ++k) {
      out.mean_image_to_report[k] += a.image_to_report.recall[k];
      out.mean_report_to_image[k] += a.report_to_image.recall[k];
    }
  }
  for (auto* mean : {&out.mean_image_to_report, &out.mean_report_to_image})
    for (double& v : *mean) v = out.anatomies_in_mean > 0 ? v / static_cast<double>(out.anatomies_in_mean) : kNaN;
  return out;
}

}  // namespace cagcl::eval
