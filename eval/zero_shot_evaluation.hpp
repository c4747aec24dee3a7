#pragma once
// The evaluation after the embeddings: scores per template family, the protocol's metrics with bootstrap
// intervals and cross-fitted thresholds, prompt robustness across families, the text-similarity analysis and
// volume-report retrieval, assembled into an EvalReport. No torch: `cagcl eval` computes the embeddings
// (eval/volume_embedder.hpp), tests feed hand-made ones.
#include <cstdint>
#include <string>
#include <vector>

#include "eval/bootstrap.hpp"
#include "eval/prompt_templates.hpp"
#include "eval/protocol.hpp"
#include "eval/report.hpp"
#include "eval/zero_shot.hpp"

namespace cagcl::eval {

struct EvaluationInputs {
  Protocol protocol;
  std::vector<std::string> anatomies;      // the dataset's list (the embeddings' anatomy axis)
  std::vector<std::vector<size_t>> truth;  // truth_columns(protocol, ...)
  VolumeEmbeddings images;
  std::vector<std::string> volume_names, patients;  // [volumes]
  std::vector<TemplateFamily> families;
  std::vector<PromptEmbeddings> prompts;  // one per family, rows = protocol findings
  double tau = 0.07;
  BootstrapOptions bootstrap;
  int threshold_folds = 2;  // patient-disjoint folds of the cross-fitted threshold
  // The distinct anatomy-level report texts of the evaluated volumes (each (anatomy, text) once, in volume
  // order), their anatomy ids and canonical text ids (Sample::text_id, the int64 bit pattern). The
  // text-similarity analysis takes the first `similarity_texts` of them (< 0: all); retrieval takes all.
  std::vector<float> text_embeddings;  // [texts, text_dim]
  int64_t text_dim = 0;
  std::vector<int64_t> text_anatomy;
  std::vector<int64_t> text_ids;  // [texts]; needed for retrieval only
  int64_t similarity_texts = -1;
  int64_t similarity_bins = 40;
  // Retrieval (eval/retrieval.hpp): per volume and anatomy, the canonical text id and the normal flag of its
  // report text ([volumes][anatomies], Sample::text_id and Sample::normal). Empty: no retrieval.
  std::vector<std::vector<int64_t>> volume_text_ids;
  std::vector<std::vector<uint8_t>> volume_normal;
};

// The prompts of one family for the protocol's findings, in finding order: {positive, negative} texts.
std::vector<std::pair<std::string, std::string>> family_prompts(const Protocol& protocol, const TemplateFamily& family);

// UsageError when the inputs disagree in size. `run` is copied into the report's provenance.
EvalReport evaluate_zero_shot(const EvaluationInputs& inputs, const nlohmann::ordered_json& run);

// The headline figures of evaluate_zero_shot, computed the same way, without what makes the report slow
// (bootstrap intervals) or needs patients (cross-fitted thresholds): the trainer's live validation reports
// these. `bootstrap`, `threshold_folds`, `volume_names` and `patients` of the inputs are not read.
struct ZeroShotSummary {
  PromptRobustness robustness;  // macro AUC per family, their mean and SD
  TextSimilarity similarity;    // collapse_index
  RetrievalResult retrieval;    // no K (ks empty) when volume_text_ids is empty
};
ZeroShotSummary summarize_zero_shot(const EvaluationInputs& inputs);

}  // namespace cagcl::eval
