// The vocabulary `cagcl synth` writes for its phantom corpus: complete for the corpus, deterministic,
// loadable by the tokenizer.
#include "data/vocab_builder.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "data/phantom/phantom.hpp"
#include "data/schema.hpp"
#include "data/tokenizer.hpp"

namespace cagcl::data {
namespace {

// A small rendered cohort: 24 scans as planned, then 8 with every finding on, so every finding's wording
// appears.
const std::vector<Sample>& corpus() {
  static const std::vector<Sample> samples = [] {
    phantom::PhantomOptions options;
    options.size = {16, 32, 32};
    options.seed = 7;
    std::vector<Sample> out;
    auto plans = phantom::plan_cohort(32, options);
    for (size_t i = 0; i < plans.size(); ++i) {
      if (i >= 24) plans[i].labels.assign(ct_rate_labels().size(), 1);
      out.push_back(phantom::render(plans[i], options));
    }
    return out;
  }();
  return samples;
}

VocabBuilder built(bool reversed = false) {
  VocabBuilder builder(default_anatomies(), ct_rate_labels());
  std::vector<const Sample*> order;
  for (const auto& s : corpus()) order.push_back(&s);
  if (reversed) std::reverse(order.begin(), order.end());
  for (const auto* s : order) builder.add_sample(*s);
  return builder;
}

void expect_no_unk(const Tokenizer& t, const std::string& text) {
  const auto pieces = t.tokenize(text);
  EXPECT_EQ(std::count(pieces.begin(), pieces.end(), std::string(kUnkToken)), 0) << text;
}

}  // namespace

TEST(VocabBuilder, EveryCorpusTextTokenizesWithoutUnk) {
  const Tokenizer t(built().tokens());
  size_t sentences = 0;
  for (const Sample& s : corpus()) {
    for (size_t a = 0; a < s.conclusion.size(); ++a) {
      for (const auto* part : {&s.conclusion[a], &s.description[a]}) {
        for (const auto& sentence : *part) {
          expect_no_unk(t, sentence);
          ++sentences;
          // A corpus word is a whole token: no "##" pieces.
          for (const auto& piece : t.tokenize(sentence)) EXPECT_NE(piece.rfind("##", 0), 0u) << sentence;
        }
      }
    }
    expect_no_unk(t, s.findings);
    expect_no_unk(t, s.impression);
  }
  EXPECT_GT(sentences, 100u);
}

TEST(VocabBuilder, NormalTemplatesLabelsAndPromptsTokenizeWithoutUnk) {
  const Tokenizer t(built().tokens());
  for (const auto& anatomy : default_anatomies()) expect_no_unk(t, normal_template(anatomy));
  for (const auto& label : ct_rate_labels()) {
    for (const auto& anatomy : default_anatomies()) {
      for (const std::string& prompt :
           {label + ".", "Not " + label + ".", label + " is present.", label + " is not present.",
            "There is " + label + " in the " + anatomy + ".", "There is no " + label + " in the " + anatomy + ".",
            "The " + anatomy + " shows " + label + ".", "The " + anatomy + " shows no " + label + ".",
            "Findings consistent with " + label + ".", "No evidence of " + label + "."})
        expect_no_unk(t, prompt);
    }
  }
}

TEST(VocabBuilder, AnyAsciiWordEncodesWithoutUnk) {
  const Tokenizer t(built().tokens());
  expect_no_unk(t, "zygomatic qx7 hounsfield 1234567890 abcdefghijklmnopqrstuvwxyz");
}

TEST(VocabBuilder, SpecialTokensComeFirstAndTheOrderIsDeterministic) {
  const auto tokens = built().tokens();
  ASSERT_GT(tokens.size(), 5u);
  EXPECT_EQ((std::vector<std::string>(tokens.begin(), tokens.begin() + 5)),
            (std::vector<std::string>{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}));
  EXPECT_TRUE(std::is_sorted(tokens.begin() + 5, tokens.end()));
  EXPECT_EQ(built().vocab_txt(), built(true).vocab_txt());  // insertion order does not matter
}

TEST(VocabBuilder, WrittenFileLoadsWithTheSameIds) {
  const auto path = std::filesystem::temp_directory_path() / "cagcl_vocab_builder_test_vocab.txt";
  const VocabBuilder builder = built();
  builder.write(path);
  const Tokenizer from_file = Tokenizer::from_file(path);
  std::filesystem::remove(path);
  const Tokenizer in_memory(builder.tokens());
  EXPECT_EQ(from_file.vocab_size(), in_memory.vocab_size());
  EXPECT_EQ(from_file.pad_id(), 0);
  const std::string text = corpus().front().findings;
  EXPECT_EQ(from_file.encode(text, 512), in_memory.encode(text, 512));
}

}  // namespace cagcl::data
