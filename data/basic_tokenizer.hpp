#pragma once
// BERT's BasicTokenizer (HuggingFace `BasicTokenizer` with do_lower_case=True, strip_accents following it,
// tokenize_chinese_chars=True): the words and punctuation marks that WordPiece then splits into pieces.
// Limits of the Unicode tables behind it are in data/unicode.hpp and docs/text.md.
#include <string>
#include <vector>

namespace cagcl::data {

// 1. cleaning: drops NUL, U+FFFD (also what an invalid UTF-8 byte decodes to) and control characters,
//    maps whitespace to a space; 2. spaces around CJK ideographs; 3. split at whitespace; 4. per word:
//    lower case each code point on its own (BertTokenizer lower-cases character by character before its
//    BasicTokenizer runs, so "ΟΔΟΣ" gives "οδοσ", not str.lower()'s final "ς"), strip accents (NFD, drop
//    nonspacing marks), split every punctuation character off.
// Returns UTF-8 words; never throws on any byte string.
std::vector<std::string> basic_tokenize(const std::string& text);

}  // namespace cagcl::data
