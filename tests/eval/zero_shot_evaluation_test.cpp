#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "common/error.hpp"
#include "data/schema.hpp"
#include "eval/zero_shot_evaluation.hpp"

namespace cagcl::eval {
namespace {

// 8 volumes, 4 anatomies, E = 2. Each anatomy embedding is (1, 0) when the volume is "abnormal" (even index)
// and (0, 1) otherwise; every positive prompt is (1, 0), every negative (0, 1). So every label whose ground
// truth follows the even/odd pattern ranks perfectly, under every family.
EvaluationInputs perfect_inputs() {
  EvaluationInputs in;
  in.protocol = protocol_by_name("fvlm16");
  in.anatomies = {"lung", "heart", "esophagus", "aorta"};
  const auto& columns = data::ct_rate_labels();
  in.truth = truth_columns(in.protocol, columns, in.anatomies, "test");
  const int N = 8;
  in.images.volumes = N, in.images.anatomies = 4, in.images.dim = 2;
  for (int n = 0; n < N; ++n) {
    for (int a = 0; a < 4; ++a) {
      in.images.v.push_back(n % 2 == 0 ? 1.f : 0.f);
      in.images.v.push_back(n % 2 == 0 ? 0.f : 1.f);
      in.images.status.push_back(0);
    }
    in.images.labels.push_back(std::vector<uint8_t>(columns.size(), n % 2 == 0));
    in.volume_names.push_back("v" + std::to_string(n));
    in.patients.push_back("p" + std::to_string(n));
  }
  in.images.status[1 * 4 + 0] = static_cast<uint8_t>(AnatomyStatus::absent);  // volume 1 has no lung
  in.families = {builtin_families()[0], builtin_families()[2]};
  for (size_t f = 0; f < in.families.size(); ++f) {
    PromptEmbeddings p;
    p.findings = static_cast<int64_t>(in.protocol.findings.size()), p.dim = 2;
    for (int64_t i = 0; i < p.findings; ++i) {
      p.positive.insert(p.positive.end(), {1.f, 0.f});
      p.negative.insert(p.negative.end(), {0.f, 1.f});
    }
    in.prompts.push_back(p);
  }
  in.tau = 0.1;
  in.bootstrap = {50, 1, 0.95};
  in.text_embeddings = {1, 0, 0, 1, 0.9f, 0.1f};
  in.text_dim = 2;
  in.text_anatomy = {0, 1, 0};
  return in;
}

TEST(ZeroShotEvaluation, PerfectEmbeddingsGiveAucOneUnderEveryFamilyAndZeroTemplateSd) {
  const EvalReport r = evaluate_zero_shot(perfect_inputs(), {{"protocol", "fvlm16"}});
  ASSERT_EQ(r.families.size(), 2u);
  for (const auto& f : r.families) {
    EXPECT_EQ(f.result.labels.size(), 16u);
    EXPECT_DOUBLE_EQ(f.result.macro.auc, 1.0);
    EXPECT_EQ(f.result.macro.undefined, 0);
  }
  EXPECT_DOUBLE_EQ(r.robustness.mean_macro_auc, 1.0);
  EXPECT_DOUBLE_EQ(r.robustness.sd_macro_auc, 0.0);
  // The absent lung scores 0 (an odd, normal volume: the ranking stays perfect) and is counted.
  EXPECT_EQ(r.families[0].scores[0].score[1], 0.0);
  EXPECT_EQ(r.anatomies[0].absent, 1);
  EXPECT_EQ(r.anatomies[0].present, 7);
  EXPECT_EQ(r.similarity.same.pairs, 1);
  EXPECT_EQ(r.similarity.cross.pairs, 2);
  EXPECT_EQ(r.volumes.size(), 8u);
}

TEST(ZeroShotEvaluation, RetrievalUsesPresentInstancesAndAllTextsWhileSimilarityTakesThePrefix) {
  // Even volumes are abnormal with one shared text per anatomy, embedded (1, 0) like their images; odd
  // volumes are normal, text (0, 1). The aorta is normal everywhere: no query.
  auto in = perfect_inputs();
  in.text_embeddings.clear(), in.text_anatomy.clear();
  for (int64_t a = 0; a < 4; ++a) {
    in.text_embeddings.insert(in.text_embeddings.end(), {1, 0, 0, 1});
    in.text_anatomy.insert(in.text_anatomy.end(), {a, a});
    in.text_ids.insert(in.text_ids.end(), {100 + a, 200 + a});
  }
  in.similarity_texts = 2;
  for (int n = 0; n < 8; ++n) {
    const bool normal = n % 2 == 1;
    in.volume_text_ids.push_back({normal ? 200 : 100, normal ? 201 : 101, normal ? 202 : 102, 203});
    in.volume_normal.push_back({normal, normal, normal, 1});
  }
  const EvalReport r = evaluate_zero_shot(in, {});
  EXPECT_EQ(r.similarity.texts, 2);
  ASSERT_EQ(r.retrieval.anatomies.size(), 4u);
  const auto& lung = r.retrieval.anatomies[0];
  EXPECT_EQ(lung.image_to_report.queries, 4);  // the even volumes (volume 1's absent lung is odd anyway)
  EXPECT_EQ(lung.image_to_report.candidates, 2);
  EXPECT_DOUBLE_EQ(lung.image_to_report.recall[0], 1.0);
  EXPECT_EQ(lung.report_to_image.queries, 1);  // the normal template has no abnormal instance
  EXPECT_EQ(lung.report_to_image.candidates, 4);
  EXPECT_DOUBLE_EQ(lung.report_to_image.recall[0], 1.0);
  EXPECT_EQ(r.retrieval.anatomies[3].image_to_report.queries, 0);
  EXPECT_EQ(r.retrieval.anatomies_in_mean, 3);
  EXPECT_DOUBLE_EQ(r.retrieval.mean_image_to_report[0], 1.0);
  in.volume_normal.pop_back();
  EXPECT_THROW(evaluate_zero_shot(in, {}), UsageError);
}

// The trainer's live figures: the report's, without the volume names, patients or bootstrap it skips.
TEST(ZeroShotEvaluation, SummaryGivesTheReportsHeadlineFigures) {
  auto in = perfect_inputs();
  in.images.v[(2 * 4 + 0) * 2] = 0.f;  // volume 2's lung looks normal: lung AUCs below 1, so the figures differ
  in.images.v[(2 * 4 + 0) * 2 + 1] = 1.f;
  for (int64_t a = 0; a < 4; ++a) {
    in.text_embeddings.insert(in.text_embeddings.end(), {1, 0});
    in.text_anatomy.push_back(a);
  }
  in.text_embeddings.erase(in.text_embeddings.begin(), in.text_embeddings.begin() + 6);
  in.text_anatomy.erase(in.text_anatomy.begin(), in.text_anatomy.begin() + 3);
  for (int64_t a = 0; a < 4; ++a) in.text_ids.push_back(100 + a);
  for (int n = 0; n < 8; ++n) {
    in.volume_text_ids.push_back({100, 101, 102, 103});
    in.volume_normal.push_back({0, 0, 0, 0});
  }
  const EvalReport report = evaluate_zero_shot(in, {});
  in.volume_names.clear(), in.patients.clear(), in.bootstrap.resamples = 0;
  const ZeroShotSummary summary = summarize_zero_shot(in);
  EXPECT_EQ(summary.robustness.macro_auc, report.robustness.macro_auc);
  EXPECT_LT(summary.robustness.mean_macro_auc, 1.0);
  EXPECT_EQ(summary.robustness.mean_macro_auc, report.robustness.mean_macro_auc);
  EXPECT_EQ(summary.robustness.sd_macro_auc, report.robustness.sd_macro_auc);
  EXPECT_EQ(summary.similarity.collapse_index, report.similarity.collapse_index);
  EXPECT_EQ(summary.retrieval.mean_image_to_report, report.retrieval.mean_image_to_report);
  EXPECT_EQ(summary.retrieval.ks, (std::vector<int64_t>{1, 5, 10}));
}

TEST(ZeroShotEvaluation, WithoutTextIdsThereIsNoRetrieval) {
  EXPECT_TRUE(evaluate_zero_shot(perfect_inputs(), {}).retrieval.ks.empty());
}

TEST(ZeroShotEvaluation, PromptsFillEachFindingAndItsAnatomy) {
  const auto prompts = family_prompts(protocol_by_name("fvlm16"), builtin_families()[2]);
  ASSERT_EQ(prompts.size(), 16u);
  EXPECT_EQ(prompts[0].first, "There is emphysema in the lung.");
  EXPECT_EQ(prompts[0].second, "There is no emphysema in the lung.");
  EXPECT_EQ(prompts.back().first, "There is arterial wall calcification in the aorta.");
}

TEST(ZeroShotEvaluation, MismatchedInputsAreErrors) {
  auto in = perfect_inputs();
  in.patients.pop_back();
  EXPECT_THROW(evaluate_zero_shot(in, {}), UsageError);
  in = perfect_inputs();
  in.prompts.pop_back();
  EXPECT_THROW(evaluate_zero_shot(in, {}), UsageError);
}

}  // namespace
}  // namespace cagcl::eval
