#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "common/error.hpp"
#include "data/schema.hpp"
#include "eval/protocol.hpp"
#include "eval/zero_shot.hpp"

namespace cagcl::eval {
namespace {

const std::vector<std::string> kAnatomies{"lung", "heart", "esophagus", "aorta"};

TEST(Protocol, Fvlm16HasTheSixteenLabelsWithAnAnatomy) {
  const Protocol p = protocol_by_name("fvlm16");
  ASSERT_EQ(p.labels.size(), 16u);
  ASSERT_EQ(p.findings.size(), 16u);
  int lung = 0;
  for (const auto& f : p.findings) lung += f.anatomy == "lung";
  EXPECT_EQ(lung, 11);
  const auto anatomy_of = [&](const std::string& name) {
    return std::find_if(p.findings.begin(), p.findings.end(), [&](const auto& f) { return f.name == name; })->anatomy;
  };
  EXPECT_EQ(anatomy_of("Coronary artery wall calcification"), "heart");
  EXPECT_EQ(anatomy_of("Arterial wall calcification"), "aorta");
  EXPECT_EQ(anatomy_of("Hiatal hernia"), "esophagus");
  for (const auto& l : p.labels) EXPECT_NE(l.name, "Medical material");
  // Every name is a CT-RATE column.
  const auto& columns = data::ct_rate_labels();
  for (const auto& l : p.labels) EXPECT_NE(std::find(columns.begin(), columns.end(), l.name), columns.end()) << l.name;
}

TEST(Protocol, Radchest14DropsMosaicAttenuationAndMergesCalcification) {
  const Protocol p = protocol_by_name("radchest14");
  ASSERT_EQ(p.labels.size(), 14u);
  for (const auto& l : p.labels) EXPECT_NE(l.name, "Mosaic attenuation pattern");
  EXPECT_EQ(p.labels.back().name, "Calcification");
  EXPECT_EQ(p.labels.back().findings.size(), 2u);
  EXPECT_THROW(protocol_by_name("ctrate18"), UsageError);
}

TEST(Protocol, CalcificationMergeTakesTheMaxWhenEitherIsAboveHalfElseTheMin) {
  EXPECT_DOUBLE_EQ(merge_calcification(0.7, 0.2), 0.7);
  EXPECT_DOUBLE_EQ(merge_calcification(0.3, 0.6), 0.6);
  EXPECT_DOUBLE_EQ(merge_calcification(0.3, 0.2), 0.2);
  EXPECT_DOUBLE_EQ(merge_calcification(0.5, 0.4), 0.4);  // 0.5 is not above 0.5
  EXPECT_DOUBLE_EQ(merge_calcification(0.0, 0.9), 0.9);  // an absent heart (0) does not hide the aorta
}

TEST(Protocol, TruthColumnsUseTheLabelItselfOrTheOrOfTheMergedColumns) {
  const auto& ct_rate = data::ct_rate_labels();
  const auto cols = truth_columns(protocol_by_name("radchest14"), ct_rate, kAnatomies, "d/dataset.json");
  ASSERT_EQ(cols.back().size(), 2u);  // CT-RATE-style data: coronary OR arterial
  std::vector<std::string> radchest = {"Calcification"};
  for (const auto& l : protocol_by_name("radchest14").labels)
    if (l.name != "Calcification") radchest.push_back(l.name);
  const auto direct = truth_columns(protocol_by_name("radchest14"), radchest, kAnatomies, "d/dataset.json");
  EXPECT_EQ(direct.back(), std::vector<size_t>{0});
  try {
    truth_columns(protocol_by_name("fvlm16"), {"Emphysema"}, kAnatomies, "d/dataset.json");
    FAIL();
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("d/dataset.json"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("fvlm16"), std::string::npos);
  }
  EXPECT_THROW(truth_columns(protocol_by_name("fvlm16"), ct_rate, {"lung", "heart"}, "d"), DataError);
}

TEST(ZeroShot, ScoreIsTheTwoWaySoftmaxOfTheSimilarities) {
  const float v[2] = {1, 0}, pos[2] = {1, 0}, neg[2] = {0, 1};
  EXPECT_NEAR(zero_shot_score(v, pos, neg, 2, 0.5), std::exp(2.0) / (std::exp(0.0) + std::exp(2.0)), 1e-12);
  EXPECT_NEAR(zero_shot_score(v, neg, pos, 2, 0.5), 1.0 / (1.0 + std::exp(2.0)), 1e-12);
  EXPECT_NEAR(zero_shot_score(v, pos, neg, 2, 1e-4), 1.0, 1e-12);  // tiny tau: no overflow
}

TEST(ZeroShot, AbsentOrDroppedAnatomyScoresZeroAndCalcificationIsMerged) {
  const Protocol p = protocol_by_name("radchest14");
  const auto& columns = data::ct_rate_labels();
  VolumeEmbeddings images;
  images.volumes = 2, images.anatomies = 4, images.dim = 2;
  images.v.assign(2 * 4 * 2, 0.f);
  for (int n = 0; n < 2; ++n)
    for (int a = 0; a < 4; ++a) images.v[(n * 4 + a) * 2] = 1.f;  // every embedding (1, 0)
  images.status = {0, 0, 0, 0,                                    // volume 0: all present
                   1, 2, 0, 0};                                   // volume 1: lung absent, heart dropped
  images.labels.assign(2, std::vector<uint8_t>(columns.size(), 0));
  images.labels[1][std::find(columns.begin(), columns.end(), "Arterial wall calcification") - columns.begin()] = 1;
  PromptEmbeddings prompts;
  prompts.findings = static_cast<int64_t>(p.findings.size()), prompts.dim = 2;
  for (size_t f = 0; f < p.findings.size(); ++f) {
    prompts.positive.insert(prompts.positive.end(), {1.f, 0.f});  // every finding "present": score sigmoid(1/tau)
    prompts.negative.insert(prompts.negative.end(), {0.f, 1.f});
  }
  const ScoreTable table =
      score_protocol(p, kAnatomies, images, prompts, 1.0, truth_columns(p, columns, kAnatomies, "d"));
  const double s = 1.0 / (1.0 + std::exp(-1.0));
  EXPECT_NEAR(table[0].score[0], s, 1e-12);  // Emphysema, lung present
  EXPECT_EQ(table[0].score[1], 0.0);         // lung absent
  const auto& calc = table.back();
  EXPECT_NEAR(calc.score[1], s, 1e-12);  // heart dropped (0), aorta s > 0.5: max
  EXPECT_EQ(calc.truth[0], 0);
  EXPECT_EQ(calc.truth[1], 1);
  EXPECT_EQ(count_status(images, 0, AnatomyStatus::absent), 1);
  EXPECT_EQ(count_status(images, 1, AnatomyStatus::partial), 1);
}

}  // namespace
}  // namespace cagcl::eval
