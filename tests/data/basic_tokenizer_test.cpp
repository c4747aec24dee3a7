// BERT's text normalisation and its Unicode tables. Expected words are what HuggingFace's BasicTokenizer
// (do_lower_case=True) gives, worked out from Python's unicodedata.
#include "data/basic_tokenizer.hpp"

#include <gtest/gtest.h>

#include "data/unicode.hpp"

namespace cagcl::data {
namespace {

using Words = std::vector<std::string>;

std::string lower_then_strip(char32_t cp) {
  std::u32string lowered;
  unicode::append_lower(lowered, cp);
  std::u32string stripped;
  for (char32_t c : lowered) unicode::append_without_accents(stripped, c);
  return unicode::encode_utf8(stripped);
}

}  // namespace

TEST(BasicTokenizer, AsciiPunctuationIncludesSymbolsAsInBert) {
  // BERT treats every non-alphanumeric printable ASCII character as punctuation, $ + < = > ^ ` | ~ included.
  EXPECT_EQ(basic_tokenize("a+b=$5 <x> ^y` |z~"),
            (Words{"a", "+", "b", "=", "$", "5", "<", "x", ">", "^", "y", "`", "|", "z", "~"}));
  // ...but non-ASCII symbols (category S*) are not: "5°" and "±2" stay whole words.
  EXPECT_EQ(basic_tokenize("5\xc2\xb0 \xc2\xb1"
                           "2"),
            (Words{"5\xc2\xb0",
                   "\xc2\xb1"
                   "2"}));
}

TEST(BasicTokenizer, UnicodePunctuation) {
  // ‘ ’ “ ” – — … « » ¿ are category P*.
  EXPECT_EQ(basic_tokenize("\xe2\x80\x98x\xe2\x80\x99 1\xe2\x80\x93"
                           "2\xe2\x80\x94y\xe2\x80\xa6 \xc2\xabz\xc2\xbb\xc2\xbf"),
            (Words{"‘", "x", "’", "1", "–", "2", "—", "y", "…", "«", "z", "»", "¿"}));
}

TEST(BasicTokenizer, CjkIdeographsBecomeSingleWords) {
  // 肺结节 (lung nodule) -> 肺 结 节; kana are not split (BERT's _is_chinese_char excludes them).
  EXPECT_EQ(basic_tokenize("\xe8\x82\xba\xe7\xbb\x93\xe8\x8a\x82"), (Words{"肺", "结", "节"}));
  EXPECT_EQ(basic_tokenize("\xe3\x81\x82\xe3\x81\x84"), (Words{"あい"}));
}

TEST(BasicTokenizer, AccentStrippingOfLatin1AndLatinExtendedA) {
  EXPECT_EQ(basic_tokenize("RÉSUMÉ Ångström Düsseldorf Łódź Şişli Čapek"),
            (Words{"resume", "angstrom", "dusseldorf", "łodz", "sisli", "capek"}));
  // Letters without a canonical decomposition keep their form (lower-cased): æ ø ß đ ł œ.
  EXPECT_EQ(basic_tokenize("ÆRØ Straße ĐŁŒ"), (Words{"ærø", "straße", "đłœ"}));
  // Python: "İ".lower() == "i̇" (i + U+0307); stripping the mark leaves "i".
  EXPECT_EQ(basic_tokenize("İstanbul"), (Words{"istanbul"}));
  // Decomposed input: the combining marks are dropped.
  EXPECT_EQ(basic_tokenize("Cafe\xcc\x81 nai\xcc\x88ve"), (Words{"cafe", "naive"}));
}

TEST(BasicTokenizer, LowerCaseAndStripTablesCoverLatin1AndExtendedA) {
  // Spot checks against Python's unicodedata (lower(), then NFD without Mn).
  EXPECT_EQ(lower_then_strip(0xC0), "a");   // À
  EXPECT_EQ(lower_then_strip(0xC6), "æ");   // Æ
  EXPECT_EQ(lower_then_strip(0xC7), "c");   // Ç
  EXPECT_EQ(lower_then_strip(0xD7), "×");   // × is not a letter
  EXPECT_EQ(lower_then_strip(0xDE), "þ");   // Þ
  EXPECT_EQ(lower_then_strip(0xDF), "ß");   // ß has no single-character lower case change
  EXPECT_EQ(lower_then_strip(0xFF), "y");   // ÿ
  EXPECT_EQ(lower_then_strip(0x178), "y");  // Ÿ -> ÿ -> y
  EXPECT_EQ(lower_then_strip(0x10E), "d");  // Ď
  EXPECT_EQ(lower_then_strip(0x110), "đ");  // Đ
  EXPECT_EQ(lower_then_strip(0x131), "ı");  // dotless i
  EXPECT_EQ(lower_then_strip(0x139), "l");  // Ĺ (odd capital)
  EXPECT_EQ(lower_then_strip(0x141), "ł");  // Ł
  EXPECT_EQ(lower_then_strip(0x147), "n");  // Ň
  EXPECT_EQ(lower_then_strip(0x14A), "ŋ");  // Ŋ
  EXPECT_EQ(lower_then_strip(0x150), "o");  // Ő
  EXPECT_EQ(lower_then_strip(0x152), "œ");  // Œ
  EXPECT_EQ(lower_then_strip(0x160), "s");  // Š
  EXPECT_EQ(lower_then_strip(0x17D), "z");  // Ž
  EXPECT_EQ(lower_then_strip(0x17F), "ſ");  // long s
  EXPECT_EQ(lower_then_strip(0x394), "δ");  // Greek Δ
  EXPECT_EQ(lower_then_strip(0x416), "ж");  // Cyrillic Ж
  // Every letter of the two blocks ends as one ASCII letter or as one non-ASCII letter of its own.
  for (char32_t cp = 0xC0; cp <= 0x17F; ++cp) {
    const std::string s = lower_then_strip(cp);
    ASSERT_FALSE(s.empty()) << std::hex << static_cast<uint32_t>(cp);
    const std::u32string decoded = unicode::decode_utf8(s);
    EXPECT_EQ(decoded.size(), 1u) << std::hex << static_cast<uint32_t>(cp);
    if (decoded[0] < 0x80) {
      EXPECT_TRUE(decoded[0] >= 'a' && decoded[0] <= 'z') << std::hex << static_cast<uint32_t>(cp);
    }
  }
}

TEST(BasicTokenizer, GreekCyrillicAndFullwidthLettersFollowPython) {
  // Checked against Python 3 unicodedata 14.0 with HF's BasicTokenizer code over U+0020-U+045F,
  // U+2000-U+206F, U+2E00-U+2E4F, U+3000-U+303F, U+FF00-U+FF65 (see docs/text.md for what still differs).
  EXPECT_EQ(basic_tokenize("ΆΈΉΊΌΎΏ άϊΰ"), (Words{"αεηιουω", "αιυ"}));
  EXPECT_EQ(basic_tokenize("ЙОД Ёж"), (Words{"иод", "еж"}));
  EXPECT_EQ(basic_tokenize("ＣＴ"), (Words{"ｃｔ"}));
  // U+2E2F (vertical tilde) is a letter modifier, not punctuation; U+302A is a nonspacing tone mark.
  EXPECT_EQ(basic_tokenize("a\xe2\xb8\xaf"
                           "b c\xe3\x80\xaa"
                           "d"),
            (Words{"a\xe2\xb8\xaf"
                   "b",
                   "cd"}));
  // The Greek question mark's NFD is ';'.
  EXPECT_EQ(basic_tokenize("a\xcd\xbe"), (Words{"a", ";"}));
}

TEST(BasicTokenizer, Utf8DecodingIsRobust) {
  EXPECT_EQ(unicode::decode_utf8("a\xc3\xa9\xe2\x80\x94\xf0\x9f\x98\x80"),
            (std::u32string{U'a', 0xE9, 0x2014, 0x1F600}));
  EXPECT_EQ(unicode::decode_utf8("\xff"), std::u32string(1, unicode::kReplacement));
  EXPECT_EQ(unicode::decode_utf8("\xe2\x80"), std::u32string(2, unicode::kReplacement));
  EXPECT_EQ(unicode::decode_utf8("\xc0\xaf"), std::u32string(2, unicode::kReplacement));          // over-long
  EXPECT_EQ(unicode::decode_utf8("\xed\xa0\x80"), std::u32string(3, unicode::kReplacement));      // surrogate
  EXPECT_EQ(unicode::decode_utf8("\xf4\x90\x80\x80"), std::u32string(4, unicode::kReplacement));  // > U+10FFFF
  const std::string round = "Ångström — 肺 😀";
  EXPECT_EQ(unicode::encode_utf8(unicode::decode_utf8(round)), round);
}

TEST(BasicTokenizer, SeparatorsAndInvisibleCharacters) {
  // U+2028 splits (Python's str.split), U+200B and the BOM (Cf) vanish, U+3000 is whitespace.
  EXPECT_EQ(basic_tokenize("a\xe2\x80\xa8"
                           "b\xe2\x80\x8b"
                           "c\xef\xbb\xbf"
                           "d\xe3\x80\x80"
                           "e"),
            (Words{"a", "bcd", "e"}));
}

}  // namespace cagcl::data
