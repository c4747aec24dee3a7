#include <gtest/gtest.h>

#include <cmath>

#include "common/error.hpp"
#include "eval/retrieval.hpp"

namespace cagcl::eval {
namespace {

// Candidates (E = 2): A = (1, 0) id 10, B = (0, 1) id 20. Abnormal instances: (2, 0) with text A (scale
// does not matter), (0.6, 0.8) with A, (0.8, 0.6) with B. Cosines (to A, B): (1, 0), (0.6, 0.8), (0.8, 0.6).
RetrievalSet hand_made() {
  RetrievalSet s;
  s.anatomy = "lung";
  s.dim = 2;
  s.images = {2, 0, 0.6f, 0.8f, 0.8f, 0.6f};
  s.image_text_id = {10, 10, 20};
  s.image_normal = {0, 0, 0};
  s.texts = {1, 0, 0, 1};
  s.text_id = {10, 20};
  return s;
}

TEST(Retrieval, HandComputedRecallInBothDirections) {
  const auto r = retrieval_recall({hand_made()}, {1, 2});
  ASSERT_EQ(r.anatomies.size(), 1u);
  const auto& a = r.anatomies[0];
  // Image -> report: instance 0 ranks A first (hit); instance 1 ranks B (0.8) over A (0.6); instance 2 ranks
  // A (0.8) over B (0.6). R@1 = 1/3, R@2 = 1 (two candidates).
  EXPECT_EQ(a.image_to_report.queries, 3);
  EXPECT_EQ(a.image_to_report.candidates, 2);
  EXPECT_NEAR(a.image_to_report.recall[0], 1.0 / 3, 1e-12);
  EXPECT_DOUBLE_EQ(a.image_to_report.recall[1], 1.0);
  // Report -> image: A's best instance is instance 0 (cosine 1, first); B's own instance 2 has 0.6 but
  // instance 1 (text A) has 0.8: rank 2. R@1 = 1/2, R@2 = 1.
  EXPECT_EQ(a.report_to_image.queries, 2);
  EXPECT_EQ(a.report_to_image.candidates, 3);
  EXPECT_DOUBLE_EQ(a.report_to_image.recall[0], 0.5);
  EXPECT_DOUBLE_EQ(a.report_to_image.recall[1], 1.0);
  EXPECT_EQ(r.anatomies_in_mean, 1);
  EXPECT_NEAR(r.mean_image_to_report[0], 1.0 / 3, 1e-12);
  EXPECT_DOUBLE_EQ(r.mean_report_to_image[0], 0.5);
}

TEST(Retrieval, TiesCountAgainstTheQuery) {
  // Two candidate texts with the same embedding: the instance's own text ties with the other one, so it is
  // ranked second (pessimistic), whatever the candidates' order.
  for (bool swapped : {false, true}) {
    RetrievalSet s;
    s.anatomy = "heart", s.dim = 2;
    s.images = {1, 0, 1, 0};
    s.image_text_id = {1, 2};
    s.image_normal = {0, 0};
    s.texts = {1, 0, 1, 0};
    s.text_id = swapped ? std::vector<int64_t>{2, 1} : std::vector<int64_t>{1, 2};
    const auto r = retrieval_recall({s}, {1, 2});
    EXPECT_DOUBLE_EQ(r.anatomies[0].image_to_report.recall[0], 0.0);
    EXPECT_DOUBLE_EQ(r.anatomies[0].image_to_report.recall[1], 1.0);
    EXPECT_DOUBLE_EQ(r.anatomies[0].report_to_image.recall[0], 0.0);
    EXPECT_DOUBLE_EQ(r.anatomies[0].report_to_image.recall[1], 1.0);
  }
}

TEST(Retrieval, ReportToImageHitsWhenAnyInstanceOfTheTextRanksHigh) {
  // Text A = (1, 0); instances with A at cosines 0.6 and 1, one with B at 0.8: A's best instance is first.
  RetrievalSet s;
  s.anatomy = "lung", s.dim = 2;
  s.images = {0.6f, 0.8f, 0.8f, 0.6f, 1, 0};
  s.image_text_id = {10, 20, 10};
  s.image_normal = {0, 0, 0};
  s.texts = {1, 0, 0, 1};
  s.text_id = {10, 20};
  const auto r = retrieval_recall({s}, {1});
  EXPECT_EQ(r.anatomies[0].report_to_image.queries, 2);
  // A: hit (instance 2, cosine 1). B = (0, 1): instance 0 (text A) 0.8 > instance 1 (B) 0.6: miss.
  EXPECT_DOUBLE_EQ(r.anatomies[0].report_to_image.recall[0], 0.5);
}

TEST(Retrieval, NormalInstancesAreNeitherQueriesNorCandidates) {
  // A normal instance at (1, 0) with the normal template's id 99: as a query it would miss (the template is
  // at (-1, 0)); as a candidate of text A it would tie with instance 0. The normal template stays a
  // candidate text but is no report -> image query (no abnormal instance has it).
  RetrievalSet s = hand_made();
  s.images.insert(s.images.end(), {1, 0});
  s.image_text_id.push_back(99);
  s.image_normal.push_back(1);
  s.texts.insert(s.texts.end(), {-1, 0});
  s.text_id.push_back(99);
  const auto r = retrieval_recall({s}, {1, 2});
  const auto& a = r.anatomies[0];
  EXPECT_EQ(a.image_to_report.queries, 3);
  EXPECT_EQ(a.image_to_report.candidates, 3);
  EXPECT_NEAR(a.image_to_report.recall[0], 1.0 / 3, 1e-12);
  EXPECT_EQ(a.report_to_image.queries, 2);
  EXPECT_EQ(a.report_to_image.candidates, 3);
  EXPECT_DOUBLE_EQ(a.report_to_image.recall[0], 0.5);
}

TEST(Retrieval, AnAnatomyWithoutQueryIsReportedAndLeftOutOfTheMean) {
  RetrievalSet normal_only;
  normal_only.anatomy = "esophagus", normal_only.dim = 2;
  normal_only.images = {0, 1};
  normal_only.image_text_id = {7};
  normal_only.image_normal = {1};
  normal_only.texts = {0, 1};
  normal_only.text_id = {7};
  RetrievalSet empty;
  empty.anatomy = "aorta", empty.dim = 2;
  const auto r = retrieval_recall({hand_made(), normal_only, empty}, {1, 2});
  ASSERT_EQ(r.anatomies.size(), 3u);
  for (size_t a : {1u, 2u}) {
    EXPECT_EQ(r.anatomies[a].image_to_report.queries, 0);
    EXPECT_EQ(r.anatomies[a].report_to_image.queries, 0);
    EXPECT_TRUE(std::isnan(r.anatomies[a].image_to_report.recall[0]));
    EXPECT_TRUE(std::isnan(r.anatomies[a].report_to_image.recall[1]));
  }
  EXPECT_EQ(r.anatomies[1].image_to_report.candidates, 1);
  EXPECT_EQ(r.anatomies_in_mean, 1);
  EXPECT_NEAR(r.mean_image_to_report[0], 1.0 / 3, 1e-12);
  EXPECT_DOUBLE_EQ(r.mean_report_to_image[0], 0.5);
  const auto none = retrieval_recall({empty});
  EXPECT_EQ(none.ks, (std::vector<int64_t>{1, 5, 10}));
  EXPECT_EQ(none.anatomies_in_mean, 0);
  EXPECT_TRUE(std::isnan(none.mean_image_to_report[2]));
}

TEST(Retrieval, AMeanIsOverAnatomies) {
  RetrievalSet perfect;
  perfect.anatomy = "heart", perfect.dim = 2;
  perfect.images = {1, 0};
  perfect.image_text_id = {5};
  perfect.image_normal = {0};
  perfect.texts = {1, 0, 0, 1};
  perfect.text_id = {5, 6};
  const auto r = retrieval_recall({hand_made(), perfect}, {1});
  EXPECT_EQ(r.anatomies_in_mean, 2);
  EXPECT_NEAR(r.mean_image_to_report[0], (1.0 / 3 + 1.0) / 2, 1e-12);
  EXPECT_DOUBLE_EQ(r.mean_report_to_image[0], (0.5 + 1.0) / 2);
}

TEST(Retrieval, InconsistentInputsAreUsageErrorsNamingTheAnatomy) {
  auto missing = hand_made();
  missing.image_text_id[1] = 30;  // no candidate has it
  try {
    retrieval_recall({missing});
    FAIL() << "no error";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("lung"), std::string::npos) << e.what();
  }
  auto repeated = hand_made();
  repeated.text_id = {10, 10};
  EXPECT_THROW(retrieval_recall({repeated}), UsageError);
  auto short_flags = hand_made();
  short_flags.image_normal.pop_back();
  EXPECT_THROW(retrieval_recall({short_flags}), UsageError);
  auto short_texts = hand_made();
  short_texts.texts.pop_back();
  EXPECT_THROW(retrieval_recall({short_texts}), UsageError);
  EXPECT_THROW(retrieval_recall({hand_made()}, {0}), UsageError);
  EXPECT_THROW(retrieval_recall({hand_made()}, {}), UsageError);
}

}  // namespace
}  // namespace cagcl::eval
