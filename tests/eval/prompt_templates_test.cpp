#include <gtest/gtest.h>

#include <fstream>

#include "common/error.hpp"
#include "eval/prompt_robustness.hpp"
#include "eval/prompt_templates.hpp"
#include "tests/data/storage_test_util.hpp"

namespace cagcl::eval {
namespace {

using data::testing::TempDir;

TEST(PromptTemplates, SubstitutesLabelLowerCaseLabelAndAnatomy) {
  EXPECT_EQ(fill_template("{X}.", "Lung nodule", "lung"), "Lung nodule.");
  EXPECT_EQ(fill_template("Not {X}.", "Lung nodule", "lung"), "Not Lung nodule.");
  EXPECT_EQ(fill_template("There is {x} in the {anatomy}.", "Lung nodule", "lung"),
            "There is lung nodule in the lung.");
  EXPECT_EQ(fill_template("{x} {x}", "Hiatal Hernia", "esophagus"), "hiatal hernia hiatal hernia");
}

TEST(PromptTemplates, UnknownOrUnclosedPlaceholdersAreErrorsNamingTheOrigin) {
  EXPECT_THROW(fill_template("{label} present", "A", "b"), UsageError);
  EXPECT_THROW(fill_template("{X present", "A", "b"), UsageError);
  EXPECT_THROW(fill_template("X} present", "A", "b"), UsageError);
  try {
    fill_template("{organ}", "A", "b", "mine.yaml: families[0]");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("mine.yaml: families[0]"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("{organ}"), std::string::npos);
  }
}

TEST(PromptTemplates, BuiltinFamiliesAreTheFiveOfTheMethod) {
  const auto& f = builtin_families();
  ASSERT_EQ(f.size(), 5u);
  EXPECT_EQ(f[0].positive, "{X}.");
  EXPECT_EQ(f[0].negative, "Not {X}.");
  EXPECT_EQ(f[1].positive, "{X} is present.");
  EXPECT_EQ(f[4].negative, "No evidence of {x}.");
  for (const auto& family : f) EXPECT_NO_THROW(validate_family(family, "builtin"));
}

TEST(PromptTemplates, SelectionTakesAllNamesAndFilesInOrderWithoutRepeats) {
  TempDir dir;
  const auto file = dir / "mine.yaml";
  std::ofstream(file) << "families:\n  - name: signs\n    positive: \"Signs of {x} in the {anatomy}.\"\n"
                         "    negative: \"No signs of {x} in the {anatomy}.\"\n";
  const auto chosen = select_families("ctclip,fvlm," + file.string() + ",fvlm");
  ASSERT_EQ(chosen.size(), 3u);
  EXPECT_EQ(chosen[0].name, "ctclip");
  EXPECT_EQ(chosen[2].name, "signs");
  EXPECT_EQ(select_families("all").size(), 5u);
  EXPECT_EQ(select_families("all," + file.string()).size(), 6u);
  EXPECT_THROW(select_families("nonsense"), UsageError);
  EXPECT_THROW(select_families("fvlm,,ctclip"), UsageError);
}

TEST(PromptTemplates, BadTemplateFilesAreErrorsNamingFileAndEntry) {
  TempDir dir;
  const auto write = [&](const std::string& text) {
    std::ofstream(dir / "t.yaml") << text;
    return (dir / "t.yaml").string();
  };
  const auto expect_error = [](const std::string& path, const std::string& needle) {
    try {
      load_template_file(path);
      FAIL() << needle;
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error(write("families: []\n"), "families");
  expect_error(write("families:\n  - name: a\n    positive: \"{X}\"\n"),
               "families[0]: missing string field 'negative'");
  expect_error(write("families:\n  - {name: a, positive: \"{X}\", negative: \"no {Y}\"}\n"), "{Y}");
  expect_error(write("families:\n  - {name: a, positive: \"{X}\", negative: \"no {X}\"}\n"
                     "  - {name: a, positive: \"{x}\", negative: \"no {x}\"}\n"),
               "families[1]: family name 'a' repeats");
  expect_error(write("families:\n  - {name: a, positive: \"{X}\", negative: \"no {X}\", extra: 1}\n"), "extra");
  expect_error((dir / "missing.yaml").string(), "missing.yaml");
}

// Well-formed YAML of the wrong shape must name the file, not end as yaml-cpp's conversion error ("internal error").
TEST(PromptTemplates, TemplateFilesOfTheWrongShapeAreUsageErrorsNamingTheFile) {
  TempDir dir;
  int n = 0;
  const auto expect_usage_error = [&](const std::string& text, const std::string& needle) {
    const auto path = dir / ("t" + std::to_string(n++) + ".yaml");
    std::ofstream(path) << text;
    try {
      load_template_file(path.string());
      ADD_FAILURE() << "accepted: " << text;
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "not a UsageError for " << text << ": " << e.what();
    }
  };
  expect_usage_error("just a scalar\n", "families");
  expect_usage_error("- a\n- b\n", "families");
  expect_usage_error("families: {name: a}\n", "families");
  expect_usage_error("families:\n  - {name: a, positive: \"{X}\", negative: \"no {X}\", [k]: v}\n", "families[0]");
  expect_usage_error("families:\n  - {name: [a], positive: \"{X}\", negative: \"no {X}\"}\n", "name");
}

LabelMetrics label(const std::string& name, double auc) {
  LabelMetrics m;
  m.name = name, m.defined = !std::isnan(auc), m.auc = auc;
  return m;
}

TEST(PromptRobustness, MeanAndPopulationSdOfMacroAucAndPerLabelSpread) {
  FamilyResult a{"a", {label("x", 0.5), label("y", 0.7)}, {}};
  FamilyResult b{"b", {label("x", 0.9), label("y", 0.7)}, {}};
  a.macro = macro_average(a.labels);
  b.macro = macro_average(b.labels);
  const auto r = prompt_robustness({a, b});
  EXPECT_DOUBLE_EQ(r.macro_auc[0], 0.6);
  EXPECT_DOUBLE_EQ(r.mean_macro_auc, 0.7);
  EXPECT_NEAR(r.sd_macro_auc, 0.1, 1e-12);
  ASSERT_EQ(r.labels.size(), 2u);
  EXPECT_NEAR(r.labels[0].range, 0.4, 1e-12);
  EXPECT_NEAR(r.labels[0].sd, 0.2, 1e-12);
  EXPECT_EQ(r.labels[1].sd, 0.0);
  FamilyResult c{"c", {label("y", 0.7), label("x", 0.7)}, {}};
  EXPECT_THROW(prompt_robustness({a, c}), UsageError);
}

}  // namespace
}  // namespace cagcl::eval
