#include "eval/zero_shot_evaluation.hpp"

#include <algorithm>

#include "common/error.hpp"
#include "eval/fitted_threshold.hpp"

namespace cagcl::eval {
namespace {

void check_texts(const EvaluationInputs& in) {
  const size_t texts = in.text_anatomy.size();
  if (texts > 0 && (in.text_dim < 1 || in.text_embeddings.size() != texts * static_cast<size_t>(in.text_dim)))
    throw UsageError("evaluation: " + std::to_string(in.text_embeddings.size()) + " text embedding values for " +
                     std::to_string(texts) + " texts of dimension " + std::to_string(in.text_dim));
  for (int64_t a : in.text_anatomy)
    if (a < 0 || a >= static_cast<int64_t>(in.anatomies.size()))
      throw UsageError("evaluation: text anatomy id " + std::to_string(a) + " out of range");
}

// The first `similarity_texts` report texts (all when < 0): the similarity analysis's share.
TextSimilarity similarity_of_prefix(const EvaluationInputs& in) {
  const size_t all = in.text_anatomy.size();
  const size_t n = in.similarity_texts < 0 ? all : std::min(all, static_cast<size_t>(in.similarity_texts));
  const size_t dim = static_cast<size_t>(std::max<int64_t>(in.text_dim, 1));
  const std::vector<float> embeddings(in.text_embeddings.begin(),
                                      in.text_embeddings.begin() + static_cast<std::ptrdiff_t>(n * dim));
  const std::vector<int64_t> anatomy(in.text_anatomy.begin(), in.text_anatomy.begin() + static_cast<std::ptrdiff_t>(n));
  return text_similarity(embeddings, static_cast<int64_t>(dim), anatomy, static_cast<int64_t>(in.anatomies.size()),
                         in.similarity_bins);
}

// Each anatomy's retrieval problem: the instances where it is present (absent and dropped ones have no
// embedding) and the report texts about it.
std::vector<RetrievalSet> retrieval_sets(const EvaluationInputs& in) {
  const auto& im = in.images;
  const auto N = static_cast<size_t>(im.volumes), A = static_cast<size_t>(im.anatomies);
  const auto E = static_cast<size_t>(im.dim);
  if (in.volume_text_ids.size() != N || in.volume_normal.size() != N || in.text_ids.size() != in.text_anatomy.size())
    throw UsageError("evaluation: retrieval needs the text id and normal flag of every volume and a text id per text");
  if (A != in.anatomies.size() || (!in.text_ids.empty() && in.text_dim != im.dim))
    throw UsageError("evaluation: the image embeddings' anatomies or size disagree with the texts'");
  std::vector<RetrievalSet> sets(A);
  for (size_t a = 0; a < A; ++a) sets[a].anatomy = in.anatomies[a], sets[a].dim = im.dim;
  for (size_t n = 0; n < N; ++n) {
    if (in.volume_text_ids[n].size() != A || in.volume_normal[n].size() != A)
      throw UsageError("evaluation: volume " + std::to_string(n) + " lacks a text id or normal flag per anatomy");
    for (size_t a = 0; a < A; ++a) {
      if (im.status[n * A + a] != static_cast<uint8_t>(AnatomyStatus::present)) continue;
      const auto first = im.v.begin() + static_cast<std::ptrdiff_t>((n * A + a) * E);
      sets[a].images.insert(sets[a].images.end(), first, first + static_cast<std::ptrdiff_t>(E));
      sets[a].image_text_id.push_back(in.volume_text_ids[n][a]);
      sets[a].image_normal.push_back(in.volume_normal[n][a]);
    }
  }
  for (size_t t = 0; t < in.text_ids.size(); ++t) {
    auto& set = sets[static_cast<size_t>(in.text_anatomy[t])];
    const auto first = in.text_embeddings.begin() + static_cast<std::ptrdiff_t>(t * E);
    set.texts.insert(set.texts.end(), first, first + static_cast<std::ptrdiff_t>(E));
    set.text_id.push_back(in.text_ids[t]);
  }
  return sets;
}

// Family f's label metrics and their macro average; `scores` are its protocol scores.
FamilyResult family_result(const EvaluationInputs& in, size_t f, const ScoreTable& scores) {
  FamilyResult result;
  result.family = in.families[f].name;
  for (const auto& label : scores) result.labels.push_back(evaluate_label(label.name, label.score, label.truth));
  result.macro = macro_average(result.labels);
  return result;
}

ScoreTable family_scores(const EvaluationInputs& in, size_t f) {
  return score_protocol(in.protocol, in.anatomies, in.images, in.prompts[f], in.tau, in.truth);
}

void check_prompts(const EvaluationInputs& in) {
  if (in.prompts.size() != in.families.size())
    throw UsageError("evaluation: one set of prompt embeddings per template family needed");
}

}  // namespace

std::vector<std::pair<std::string, std::string>> family_prompts(const Protocol& protocol,
                                                                const TemplateFamily& family) {
  std::vector<std::pair<std::string, std::string>> out;
  const std::string origin = "template family '" + family.name + "'";
  for (const auto& f : protocol.findings)
    out.emplace_back(fill_template(family.positive, f.name, f.anatomy, origin),
                     fill_template(family.negative, f.name, f.anatomy, origin));
  return out;
}

EvalReport evaluate_zero_shot(const EvaluationInputs& in, const nlohmann::ordered_json& run) {
  const auto N = static_cast<size_t>(in.images.volumes);
  if (in.volume_names.size() != N || in.patients.size() != N)
    throw UsageError("evaluation: volume names and patients must list every evaluated volume");
  check_prompts(in);
  EvalReport report;
  report.run = run;
  report.volumes = in.volume_names;
  for (size_t a = 0; a < in.anatomies.size(); ++a) {
    const auto A = static_cast<int64_t>(a);
    report.anatomies.push_back({in.anatomies[a], count_status(in.images, A, AnatomyStatus::present),
                                count_status(in.images, A, AnatomyStatus::absent),
                                count_status(in.images, A, AnatomyStatus::partial)});
  }
  const std::vector<int> folds = patient_folds(in.patients, in.threshold_folds);
  std::vector<FamilyResult> results;
  for (size_t f = 0; f < in.families.size(); ++f) {
    FamilyReport fr;
    fr.family = in.families[f];
    fr.scores = family_scores(in, f);
    fr.result = family_result(in, f, fr.scores);
    fr.bootstrap = bootstrap_intervals(fr.scores, in.bootstrap);
    fr.fitted = cross_fitted_metrics(fr.scores, folds, in.threshold_folds);
    fr.fitted_macro = macro_average(fr.fitted);
    results.push_back(fr.result);
    report.families.push_back(std::move(fr));
  }
  report.robustness = prompt_robustness(results);
  check_texts(in);
  report.similarity = similarity_of_prefix(in);
  report.similarity_anatomies = in.anatomies;
  if (!in.volume_text_ids.empty()) report.retrieval = retrieval_recall(retrieval_sets(in));
  return report;
}

ZeroShotSummary summarize_zero_shot(const EvaluationInputs& in) {
  check_prompts(in);
  std::vector<FamilyResult> results;
  for (size_t f = 0; f < in.families.size(); ++f) results.push_back(family_result(in, f, family_scores(in, f)));
  ZeroShotSummary summary;
  summary.robustness = prompt_robustness(results);
  check_texts(in);
  summary.similarity = similarity_of_prefix(in);
  if (!in.volume_text_ids.empty()) summary.retrieval = retrieval_recall(retrieval_sets(in));
  return summary;
}

}  // namespace cagcl::eval
