// Two cases where `cagcl tokenize` was reported to differ from Hugging Face's BertTokenizer(do_lower_case=True),
// pinned to what HF does and why.
//
// Special tokens typed in the text: HF's PreTrainedTokenizer.tokenize splits the text at every special token
// ("[CLS]", "[SEP]", "[PAD]", "[MASK]", "[UNK]"; exact, case-sensitive) before anything else, so each is one
// token, never "[", "cls", "]".
//
// Greek capital sigma: for an uncased BERT, PreTrainedTokenizer.tokenize lower-cases the text one character at
// a time (re.sub with "(.+?)") before BasicTokenizer sees it, and the fast tokenizer lower-cases per character
// too; Python's final-sigma rule (str.lower() of a whole word gives "ς" at its end) therefore never applies:
// "ΟΔΟΣ" becomes "οδοσ". A final "ς" written in the text stays "ς".
#include <gtest/gtest.h>

#include "data/tokenizer.hpp"

namespace cagcl::data {
namespace tokenizer_hf_cases_test {
namespace {

using Pieces = std::vector<std::string>;

const Tokenizer& tokenizer() {
  static const Tokenizer t(
      {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "lung", "[", "]", ".", "cls", "οδοσ", "οδος"});
  return t;
}

TEST(TokenizerHfCases, SpecialTokensWrittenInTheTextAreSpecialTokens) {
  // HF: ['[CLS]', 'lung', '[SEP]', 'lung', '[MASK]', '[PAD]', '[UNK]']
  EXPECT_EQ(tokenizer().tokenize("[CLS] lung [SEP]lung[MASK][PAD] [UNK]"),
            (Pieces{"[CLS]", "lung", "[SEP]", "lung", "[MASK]", "[PAD]", "[UNK]"}));
  // encode adds its own [CLS] ... [SEP] around them: HF [2, 2, 5, 3]
  EXPECT_EQ(tokenizer().encode("[CLS] lung", 16), (std::vector<int64_t>{2, 2, 5, 3}));
}

TEST(TokenizerHfCases, OnlyTheExactSpellingIsSpecial) {
  // HF: ['[', 'cls', ']', '[', 'cls', ']', '[', 'cls', ']', '.'] -- lower case or inner spaces are text.
  EXPECT_EQ(tokenizer().tokenize("[cls] [Cls] [ CLS ]."),
            (Pieces{"[", "cls", "]", "[", "cls", "]", "[", "cls", "]", "."}));
  EXPECT_EQ(tokenizer().tokenize("[CLS"), (Pieces{"[", "cls"}));
}

TEST(TokenizerHfCases, SpecialTokenMissingFromTheVocabularyIsUnk) {
  const Tokenizer t({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "lung"});
  EXPECT_EQ(t.ids("lung [MASK]"), (std::vector<int64_t>{4, 1}));
}

TEST(TokenizerHfCases, GreekCapitalSigmaLowersToNonFinalSigmaAsHfDoes) {
  // HF BertTokenizer (slow and fast): ['οδοσ'], ['οδοσ', '.'], ['οδος']
  EXPECT_EQ(tokenizer().tokenize("ΟΔΟΣ"), (Pieces{"οδοσ"}));
  EXPECT_EQ(tokenizer().tokenize("ΟΔΟΣ."), (Pieces{"οδοσ", "."}));
  EXPECT_EQ(tokenizer().tokenize("οδος"), (Pieces{"οδος"}));
}

}  // namespace
}  // namespace tokenizer_hf_cases_test
}  // namespace cagcl::data
