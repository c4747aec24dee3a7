// The rule-based splitter (configs/anatomy_lexicon.yaml) on sentences written the way CT-RATE's reports are.
#include "data/convert/anatomy_lexicon.hpp"

#include <gtest/gtest.h>

#include "common/error.hpp"

namespace cagcl::data::convert {
namespace {

using Names = std::vector<std::string>;

const AnatomyLexicon& lexicon() {
  static const AnatomyLexicon lex = AnatomyLexicon::load(std::string(CAGCL_TEST_CONFIG_DIR) + "/anatomy_lexicon.yaml");
  return lex;
}

TEST(SentenceSplitter, SplitsAtSentenceEndsButNotAtDecimalsOrLowerCaseContinuations) {
  EXPECT_EQ(split_sentences("Nodule of 5.5 mm in the right lung. Approx. 3 cm mass.  No effusion"),
            (Names{"Nodule of 5.5 mm in the right lung.", "Approx. 3 cm mass.", "No effusion"}));
  EXPECT_EQ(split_sentences("Heart size is normal.No pericardial effusion.\nTrachea is midline"),
            (Names{"Heart size is normal.", "No pericardial effusion.", "Trachea is midline"}));
  EXPECT_EQ(split_sentences("Size approx. 2 cm. 3 nodules were seen! Why?"),
            (Names{"Size approx. 2 cm.", "3 nodules were seen!", "Why?"}));
  EXPECT_TRUE(split_sentences("  \n ").empty());
}

TEST(AnatomyLexicon, AssignsRealStyleFindingSentences) {
  const auto& lex = lexicon();
  EXPECT_EQ(lex.anatomies_of("Linear atelectasis is observed in the lower lobe of the left lung."), Names{"lung"});
  EXPECT_EQ(lex.anatomies_of("Emphysematous changes were observed in both lungs."), Names{"lung"});
  EXPECT_EQ(lex.anatomies_of("Minimal pleural effusion on the right."), Names{"lung"});
  EXPECT_EQ(lex.anatomies_of("Ground-glass densities and consolidations are present in both lungs."), Names{"lung"});
  EXPECT_EQ(lex.anatomies_of("Cardiomegaly was observed."), Names{"heart"});
  EXPECT_EQ(lex.anatomies_of("Pericardial thickening-effusion was observed."), Names{"heart"});
  EXPECT_EQ(lex.anatomies_of("Sliding type hiatal hernia is observed at the lower end of the esophagus."),
            Names{"esophagus"});
  EXPECT_EQ(lex.anatomies_of("Ascending aorta diameter is 42 mm, aneurysmatic dilatation."), Names{"aorta"});
  // One sentence about two anatomies goes to both, in the lexicon's order.
  EXPECT_EQ(lex.anatomies_of("Calcific atherosclerotic changes are observed in the aortic arch and coronary arteries."),
            (Names{"heart", "aorta"}));
  // A device in the chest wall is not a finding of the heart.
  EXPECT_TRUE(lex.anatomies_of("Cardiac pacemaker in the left anterior chest wall.").empty());
  // Nothing to do with the four anatomies.
  EXPECT_TRUE(lex.anatomies_of("Millimetric nonspecific lymph nodes in the mediastinum.").empty());
  EXPECT_TRUE(lex.anatomies_of("Degenerative changes are observed in the thoracic vertebrae.").empty());
}

TEST(AnatomyLexicon, StatementsOfNormalityGoToNoAnatomy) {
  const auto& lex = lexicon();
  for (const char* s :
       {"Mediastinal main vascular structures, heart contour, size are normal.", "Thoracic aorta diameter is normal.",
        "Pericardial effusion-thickening was not observed.",
        "Thoracic esophagus calibration was normal and no significant tumoral wall thickening was detected.",
        "No mass or infiltrative lesion was detected in both lungs.", "Both lungs are clear.",
        "The esophagus is unremarkable."}) {
    EXPECT_TRUE(lex.is_normal_statement(s)) << s;
    EXPECT_TRUE(lex.anatomies_of(s).empty()) << s;
  }
  // "no" must be a whole word: "nodule" and "nodular" are findings.
  EXPECT_FALSE(lex.is_normal_statement("A nodule of 4 mm in the right upper lobe."));
  EXPECT_FALSE(lex.is_normal_statement("Nodular densities noted in the left lung."));
}

TEST(AnatomyLexicon, SplitReportKeepsImpressionAsConclusionAndFindingsAsDescription) {
  const auto split = lexicon().split_report(
      "Heart size is normal. Cardiomegaly is absent. Calcified plaque in the aortic arch. Left lower lobe nodule of 6 "
      "mm. Emphysema in both upper lobes.",
      "Emphysema. Aortic atherosclerosis.", {"lung", "heart", "esophagus", "aorta"});
  EXPECT_EQ(split.conclusion[0], Names{"Emphysema."});
  EXPECT_EQ(split.description[0], (Names{"Left lower lobe nodule of 6 mm.", "Emphysema in both upper lobes."}));
  EXPECT_TRUE(split.conclusion[1].empty());
  EXPECT_TRUE(split.description[1].empty());
  EXPECT_TRUE(split.description[2].empty());
  EXPECT_EQ(split.conclusion[3], Names{"Aortic atherosclerosis."});
  EXPECT_EQ(split.description[3], Names{"Calcified plaque in the aortic arch."});
  EXPECT_THROW(lexicon().split_report("", "", {"liver"}), UsageError);
}

TEST(AnatomyLexicon, PertinentNegativesStayWithAnAbnormalAnatomyAndANormalOneKeepsTheTemplate) {
  // The lung has a nodule, so "No pleural effusion is seen." is one of its sentences, in report order; the
  // heart has no finding, so its normal statement goes nowhere; impression normal statements go nowhere.
  const auto split = lexicon().split_report(
      "Heart size is normal. A nodule of 6 mm in the right lower lobe. No pleural effusion is seen. "
      "Negative for emphysema.",
      "Lung nodule noted. No acute cardiopulmonary abnormality.", {"lung", "heart", "esophagus", "aorta"});
  EXPECT_EQ(split.description[0], (Names{"A nodule of 6 mm in the right lower lobe.", "No pleural effusion is seen.",
                                         "Negative for emphysema."}));
  EXPECT_EQ(split.conclusion[0], Names{"Lung nodule noted."});
  EXPECT_TRUE(split.description[1].empty());
  EXPECT_TRUE(split.conclusion[1].empty());
}

TEST(AnatomyLexicon, BadLexiconFilesNameTheKey) {
  EXPECT_THROW(AnatomyLexicon::from_yaml("anatomies: []", "x.yaml"), UsageError);
  EXPECT_THROW(AnatomyLexicon::from_yaml("anatomies:\n  lung: {keywords: []}\n", "x.yaml"), UsageError);
  EXPECT_THROW(AnatomyLexicon::from_yaml("anatomies:\n  lung: {keywords: ['*']}\n", "x.yaml"), UsageError);
}

}  // namespace
}  // namespace cagcl::data::convert
