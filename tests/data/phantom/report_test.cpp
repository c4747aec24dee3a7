// Report text of phantoms: per-anatomy sentences agree with labels and normal flags, text ids are the
// canonical ones, wording varies, whole-report sections carry the findings without an anatomy.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <string>

#include "data/phantom/finding_ids.hpp"
#include "data/text_id.hpp"
#include "tests/data/phantom/phantom_test_util.hpp"

namespace cagcl::data::phantom::testing {
namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The sentence with its particulars (numbers, side, lobe, kind words) removed: what is left is the template.
std::string without_particulars(std::string s) {
  std::string out;
  for (char ch : s)
    if (ch < '0' || ch > '9') out += ch;
  for (const char* word :
       {"right",         "left",       "both",        "bilateral",  "upper",       "lower",         "Right",
        "Left",          "Bilateral",  "mildly",      "moderately", "small",       "moderate",      "Small",
        "Moderate",      "sliding",    "large",       "Sliding",    "Large",       "centrilobular", "paraseptal",
        "Centrilobular", "Paraseptal", "cylindrical", "varicose",   "Cylindrical", "Varicose"}) {
    for (size_t pos = out.find(word); pos != std::string::npos; pos = out.find(word))
      out.erase(pos, std::string(word).size());
  }
  return out;
}

TEST(PhantomFindingIds, MatchTheSchemaOrder) {
  ASSERT_EQ(labels().size(), static_cast<size_t>(kNumFindings));
  EXPECT_EQ(labels()[kMedicalMaterial], "Medical material");
  EXPECT_EQ(labels()[kHiatalHernia], "Hiatal hernia");
  EXPECT_EQ(labels()[kLungNodule], "Lung nodule");
  EXPECT_EQ(labels()[kSeptalThickening], "Interlobular septal thickening");
  ASSERT_EQ(anatomies().size(), static_cast<size_t>(kNumAnatomies));
  EXPECT_EQ(anatomies()[kLung - 1], "lung");
  EXPECT_EQ(anatomies()[kAorta - 1], "aorta");
}

TEST(PhantomReport, NormalFlagHoldsExactlyWhenAnAnatomyHasNoSentenceAndTextIdsAreCanonical) {
  const PhantomOptions options = small_options();
  for (const ScanPlan& plan : plan_cohort(24, options)) {
    const Sample s = render(plan, options);
    ASSERT_EQ(s.conclusion.size(), anatomies().size());
    ASSERT_EQ(s.description.size(), anatomies().size());
    for (size_t a = 0; a < anatomies().size(); ++a) {
      // An anatomy has sentences exactly when one of its fvlm16 labels is positive.
      bool any_label = false;
      for (int f = 0; f < kNumFindings; ++f) any_label |= kFindingAnatomy[f] == a + 1 && s.labels[f];
      EXPECT_EQ(s.normal[a], any_label ? 0 : 1) << s.name << " " << anatomies()[a];
      EXPECT_EQ(s.normal[a] == 1, s.conclusion[a].empty() && s.description[a].empty()) << s.name;
      EXPECT_EQ(s.conclusion[a].empty(), s.description[a].empty()) << s.name;
      EXPECT_EQ(s.text_id[a], text_id(anatomies()[a], s.conclusion[a], s.description[a])) << s.name;
    }
  }
}

TEST(PhantomReport, EachPositiveFindingHasOneDescriptionAndOneConclusionSentence) {
  const PhantomOptions options = small_options();
  std::vector<int> all;
  for (int f = 0; f < kNumFindings; ++f) all.push_back(f);
  const Sample s = render(plan_with(options, 0, all), options);
  // Lung and heart have every labelled finding present, so nothing is left to state as absent; the esophagus
  // and aorta add one or two pertinent negatives outside the label set.
  EXPECT_EQ(s.description[kLung - 1].size(), 11u);
  EXPECT_EQ(s.description[kHeart - 1].size(), 3u);
  EXPECT_GE(s.description[kEsophagus - 1].size(), 2u);
  EXPECT_LE(s.description[kEsophagus - 1].size(), 3u);
  EXPECT_GE(s.description[kAorta - 1].size(), 2u);
  EXPECT_LE(s.description[kAorta - 1].size(), 3u);
  EXPECT_EQ(s.conclusion[kLung - 1].size(), 11u);
  EXPECT_EQ(s.conclusion[kHeart - 1].size(), 3u);
  EXPECT_EQ(s.conclusion[kEsophagus - 1].size(), 1u);
  EXPECT_EQ(s.conclusion[kAorta - 1].size(), 1u);
}

bool is_negation(const std::string& sentence) {
  for (const char* cue : {"No ", "is absent.", "There is no sign of", "Negative for "})
    if (contains(sentence, cue)) return true;
  return false;
}

TEST(PhantomReport, AbnormalAnatomiesStateOneOrTwoAbsentFindingsAndNormalOnesKeepTheTemplate) {
  const PhantomOptions options = small_options();
  // Only a nodule: the lung states one or two of its 10 absent findings; heart, esophagus, aorta are normal.
  const Sample s = render(plan_with(options, 2, {kLungNodule}), options);
  const auto& lung = s.description[kLung - 1];
  ASSERT_GE(lung.size(), 2u);
  ASSERT_LE(lung.size(), 3u);
  EXPECT_FALSE(is_negation(lung[0])) << lung[0];
  for (size_t i = 1; i < lung.size(); ++i) {
    EXPECT_TRUE(is_negation(lung[i])) << lung[i];
    EXPECT_FALSE(contains(lung[i], "nodule")) << "a present finding stated as absent: " << lung[i];
    EXPECT_TRUE(contains(s.findings, lung[i])) << "negatives belong to the Findings section too";
  }
  for (const Anatomy a : {kHeart, kEsophagus, kAorta}) {
    EXPECT_EQ(s.normal[a - 1], 1);
    EXPECT_TRUE(s.description[a - 1].empty());
  }
}

// The sentence, lower-cased, with the absent heart finding's name cut out: what is left is the wording.
std::string wording_of_heart_negative(std::string sentence) {
  std::transform(sentence.begin(), sentence.end(), sentence.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const char* name :
       {"coronary artery calcification", "coronary calcification", "pericardial effusion", "pericardial fluid"}) {
    const size_t pos = sentence.find(name);
    if (pos != std::string::npos) return sentence.erase(pos, std::string(name).size());
  }
  return sentence;
}

TEST(PhantomReport, PertinentNegativesUseSeveralWordings) {
  const PhantomOptions options = small_options();
  PhantomOptions tiny = options;
  tiny.size = {16, 32, 32};
  std::set<std::string> forms;
  for (int64_t i = 0; i < 40; ++i) {
    const Sample s = render(plan_with(options, i, {kCardiomegaly}), tiny);
    for (const auto& sentence : s.description[kHeart - 1])
      if (is_negation(sentence)) forms.insert(wording_of_heart_negative(sentence));
  }
  EXPECT_GE(forms.size(), 4u);
}

TEST(PhantomReport, WholeReportSectionsCarryEverySentenceAndTheFindingsWithoutAnatomy) {
  const PhantomOptions options = small_options();
  const Sample s = render(plan_with(options, 1, {kMedicalMaterial, kLymphadenopathy, kLungNodule}), options);
  for (const auto& sentence : s.description[kLung - 1]) EXPECT_TRUE(contains(s.findings, sentence));
  for (const auto& sentence : s.conclusion[kLung - 1]) EXPECT_TRUE(contains(s.impression, sentence));
  // Device and lymph nodes: in the whole report, in no anatomy's text.
  const bool device = contains(s.findings, "pacemaker") || contains(s.findings, "venous port");
  EXPECT_TRUE(device) << s.findings;
  EXPECT_TRUE(contains(s.findings, "lymph")) << s.findings;
  for (size_t a = 0; a < 4; ++a) {
    for (const auto* part : {&s.description[a], &s.conclusion[a]})
      for (const auto& sentence : *part) {
        EXPECT_FALSE(contains(sentence, "lymph")) << sentence;
        EXPECT_FALSE(contains(sentence, "pacemaker")) << sentence;
        EXPECT_FALSE(contains(sentence, "the both")) << sentence;
      }
  }
  // Normal heart, aorta, esophagus are stated as normal in the Findings section.
  EXPECT_EQ(s.normal[kHeart - 1], 1);
  EXPECT_TRUE(contains(s.findings, "eart") || contains(s.findings, "ardiac")) << s.findings;
}

TEST(PhantomReport, NormalScanHasNormalStatementsAndANormalImpression) {
  const PhantomOptions options = small_options();
  const Sample s = render(plan_with(options, 0, {}), options);
  for (uint8_t n : s.normal) EXPECT_EQ(n, 1);
  EXPECT_FALSE(s.findings.empty());
  const std::set<std::string> normal_impressions = {"No acute cardiopulmonary abnormality.", "Normal chest CT.",
                                                    "No significant abnormality in the chest.",
                                                    "Unremarkable chest CT examination."};
  EXPECT_EQ(normal_impressions.count(s.impression), 1u) << s.impression;
}

TEST(PhantomReport, EveryFindingIsWordedInAtLeastThreeWaysAcrossScans) {
  // Wording comes from the scan's stream: over many patients each finding shows >= 3 distinct descriptions
  // and >= 3 distinct conclusions (sentences that only differ in side, lobe, size or kind count as one).
  const PhantomOptions options = small_options();
  const auto plans = plan_cohort(60, options);
  for (int f = 0; f < kNumFindings; ++f) {
    std::set<std::string> descriptions, conclusions;
    for (const ScanPlan& base : plans) {
      ScanPlan plan = base;
      plan.labels.assign(kNumFindings, 0);
      plan.labels[f] = 1;
      Sample s;
      // Only the text is needed: render at the smallest size.
      PhantomOptions tiny = options;
      tiny.size = {16, 32, 32};
      s = render(plan, tiny);
      const Anatomy a = kFindingAnatomy[f];
      const std::string d = a == kBackground ? s.findings : s.description[a - 1][0];
      const std::string c = a == kBackground ? s.impression : s.conclusion[a - 1][0];
      descriptions.insert(without_particulars(d));
      conclusions.insert(without_particulars(c));
    }
    EXPECT_GE(descriptions.size(), 3u) << labels()[f];
    EXPECT_GE(conclusions.size(), 3u) << labels()[f];
  }
}

}  // namespace
}  // namespace cagcl::data::phantom::testing
