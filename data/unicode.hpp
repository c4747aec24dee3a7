#pragma once
// The small part of Unicode that BERT's text normalisation needs: robust UTF-8 decoding, and the character
// classes and mappings of HuggingFace's BasicTokenizer (whitespace, control, punctuation, CJK ideograph,
// lower case, accent stripping). Python gets these from `unicodedata`; we carry tables for the scripts that
// clinical text uses (docs/text.md, "Limits"): ASCII, Latin-1 Supplement, Latin Extended-A, modern Greek and
// Cyrillic letters, General Punctuation, CJK and fullwidth punctuation and letters.
#include <string>
#include <vector>

namespace cagcl::data::unicode {

inline constexpr char32_t kReplacement = 0xFFFD;

// Code points of `utf8`. Each invalid byte (stray continuation byte, truncated or over-long sequence,
// encoded surrogate, value above U+10FFFF) becomes one U+FFFD and decoding resumes at the next byte:
// never throws, never reads past the end.
std::u32string decode_utf8(const std::string& utf8);
// UTF-8 bytes of code points (U+FFFD for a value that is not a scalar value).
std::string encode_utf8(const std::u32string& text);
void append_utf8(std::string& out, char32_t cp);

// BERT's _is_whitespace: space, \t, \n, \r and category Zs.
bool is_whitespace(char32_t cp);
// BERT's _is_control: categories Cc, Cf, Co (and surrogates), except \t, \n, \r (whitespace).
bool is_control(char32_t cp);
// BERT's _is_punctuation: ASCII 33-47, 58-64, 91-96, 123-126 (including symbols like $ + < = > ^ ` | ~),
// plus Unicode categories P*.
bool is_punctuation(char32_t cp);
// BERT's _is_chinese_char: the CJK Unified Ideographs blocks (not Japanese kana, not Hangul).
bool is_cjk_ideograph(char32_t cp);
// Nonspacing combining marks (category Mn) of the combining-mark blocks.
bool is_nonspacing_mark(char32_t cp);
// Python's str.split() also splits at U+2028/U+2029 (Zl/Zp), which BERT's cleaning keeps.
bool is_split_separator(char32_t cp);

// Python's str.lower() for one code point, appended to `out` (U+0130 lowers to two code points, "i" +
// U+0307, as in Python). Code points outside the tables are appended unchanged.
void append_lower(std::u32string& out, char32_t cp);
// NFD followed by dropping category Mn, for one code point: the base letter of a precomposed Latin-1 /
// Latin Extended-A letter (either case) or of a lower-case Greek / Cyrillic one (the tokenizer lower-cases
// first), nothing for a nonspacing mark, the code point itself otherwise.
void append_without_accents(std::u32string& out, char32_t cp);

}  // namespace cagcl::data::unicode
