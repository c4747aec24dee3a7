#include "eval/zero_shot_evaluation.hpp"

#include "common/error.hpp"
#include "eval/fitted_threshold.hpp"

namespace cagcl::eval {

std::vector<std::pair<std::string, std::string>> family_prompts(const Protocol& protocol, const TemplateFamily& family) {
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
  if (in.prompts.size() != in.families.size())
    throw UsageError("evaluation: one set of prompt embeddings per template family needed");
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
    fr.scores = score_protocol(in.protocol, in.anatomies, in.images, in.prompts[f], in.tau, in.truth);
    fr.result.family = fr.family.name;
    for (const auto& label : fr.scores) fr.result.labels.push_back(evaluate_label(label.name, label.score, label.truth));
    fr.result.macro = macro_average(fr.result.labels);
    fr.bootstrap = bootstrap_intervals(fr.scores, in.bootstrap);
    fr.fitted = cross_fitted_metrics(fr.scores, folds, in.threshold_folds);
    fr.fitted_macro = macro_average(fr.fitted);
    results.push_back(fr.result);
    report.families.push_back(std::move(fr));
  }
  report.robustness = prompt_robustness(results);
  report.similarity = text_similarity(in.text_embeddings, std::max<int64_t>(in.text_dim, 1), in.text_anatomy,
                                      static_cast<int64_t>(in.anatomies.size()), in.similarity_bins);
  report.similarity_anatomies = in.anatomies;
  return report;
}

}  // namespace cagcl::eval
