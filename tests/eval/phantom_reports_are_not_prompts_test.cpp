// Zero-shot stays zero-shot: no sentence the phantom generator writes (per-anatomy texts, the normal template,
// the whole-report Findings and Impression) is a prompt of a built-in template family or of the held-out
// families in configs/prompts_heldout.yaml, after lower-casing and whitespace normalisation. A report that said "Not
// cardiomegaly." would teach the model the test's prompts.
#include <gtest/gtest.h>

#include <cctype>
#include <set>
#include <string>
#include <vector>

#include "data/phantom/phantom.hpp"
#include "data/schema.hpp"
#include "eval/prompt_templates.hpp"
#include "eval/protocol.hpp"

namespace cagcl::eval {
namespace {

std::string normalised(const std::string& s) {
  std::string out;
  bool space = false;
  for (const unsigned char c : s) {
    if (std::isspace(c)) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += static_cast<char>(std::tolower(c));
  }
  return out;
}

// Whole-report sections are sentences joined by single spaces; each ends with '.'.
std::vector<std::string> sentences_of(const std::string& section) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t end = section.find(". ", start); end != std::string::npos; end = section.find(". ", start)) {
    out.push_back(section.substr(start, end + 1 - start));
    start = end + 2;
  }
  if (start < section.size()) out.push_back(section.substr(start));
  return out;
}

// The built-in families and the held-out ones of configs/prompts_heldout.yaml (docs/learning.md).
std::vector<TemplateFamily> checked_families() {
  auto families = builtin_families();
  for (const auto& f : load_template_file(std::string(CAGCL_TEST_CONFIG_DIR) + "/prompts_heldout.yaml"))
    families.push_back(f);
  return families;
}

std::set<std::string> every_prompt() {
  std::set<std::string> prompts;
  const auto families = checked_families();
  for (const auto& protocol_name : protocol_names()) {
    const Protocol protocol = protocol_by_name(protocol_name);
    for (const Finding& finding : protocol.findings) {
      for (const TemplateFamily& family : families) {
        prompts.insert(normalised(fill_template(family.positive, finding.name, finding.anatomy)));
        prompts.insert(normalised(fill_template(family.negative, finding.name, finding.anatomy)));
      }
    }
  }
  return prompts;
}

TEST(PhantomReportsAreNotPrompts, NoGeneratedSentenceEqualsABuiltInTemplateSentence) {
  const std::set<std::string> prompts = every_prompt();
  ASSERT_GE(prompts.size(), 5u * 2u * 16u);
  data::phantom::PhantomOptions options;
  options.size = {16, 32, 32};  // only the text matters
  options.test_fraction = 0.2;
  std::set<std::string> sentences;
  for (const auto& plan : data::phantom::plan_cohort(300, options)) {
    const data::Sample s = data::phantom::render(plan, options);
    for (size_t a = 0; a < s.conclusion.size(); ++a) {
      for (const auto* part : {&s.conclusion[a], &s.description[a]})
        for (const auto& sentence : *part) sentences.insert(sentence);
      sentences.insert(data::normal_template(data::phantom::anatomies()[a]));
    }
    for (const auto* section : {&s.findings, &s.impression})
      for (const auto& sentence : sentences_of(*section)) sentences.insert(sentence);
  }
  ASSERT_GE(sentences.size(), 300u) << "the cohort should produce a varied corpus";
  for (const auto& sentence : sentences)
    EXPECT_EQ(prompts.count(normalised(sentence)), 0u) << "report sentence is a prompt: \"" << sentence << "\"";
}

TEST(PhantomReportsAreNotPrompts, TheCheckCatchesAPromptSentence) {
  // The comparison itself: a sentence that is a prompt up to case and spaces is found.
  const std::set<std::string> prompts = every_prompt();
  EXPECT_EQ(prompts.count(normalised("  not   CARDIOMEGALY. ")), 1u);
  EXPECT_EQ(prompts.count(normalised("There is no pleural effusion in the lung.")), 1u);
  EXPECT_EQ(prompts.count(normalised("No pleural effusion is seen.")), 0u);
}

}  // namespace
}  // namespace cagcl::eval
