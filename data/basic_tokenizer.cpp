#include "data/basic_tokenizer.hpp"

#include "data/unicode.hpp"

namespace cagcl::data {

namespace {

// Lower case, strip accents, then split off punctuation: the order of HF's BasicTokenizer.tokenize, which
// matters because stripping an accent can reveal nothing new but lower-casing İ produces a mark to strip.
void add_word(const std::u32string& word, std::vector<std::string>& out) {
  if (word.empty()) return;
  std::u32string lowered;
  for (char32_t cp : word) unicode::append_lower(lowered, cp);
  std::u32string stripped;
  for (char32_t cp : lowered) unicode::append_without_accents(stripped, cp);
  std::u32string current;
  for (char32_t cp : stripped) {
    if (unicode::is_punctuation(cp)) {
      if (!current.empty()) out.push_back(unicode::encode_utf8(current));
      current.clear();
      out.push_back(unicode::encode_utf8(std::u32string(1, cp)));
    } else {
      current += cp;
    }
  }
  if (!current.empty()) out.push_back(unicode::encode_utf8(current));
}

}  // namespace

std::vector<std::string> basic_tokenize(const std::string& text) {
  const std::u32string decoded = unicode::decode_utf8(text);
  // Cleaning and CJK spacing in one pass: the result is a sequence of words separated by spaces.
  std::u32string cleaned;
  cleaned.reserve(decoded.size());
  for (char32_t cp : decoded) {
    if (cp == 0 || cp == unicode::kReplacement || unicode::is_control(cp)) continue;
    if (unicode::is_whitespace(cp) || unicode::is_split_separator(cp)) {
      cleaned += U' ';
    } else if (unicode::is_cjk_ideograph(cp)) {
      cleaned += U' ';
      cleaned += cp;
      cleaned += U' ';
    } else {
      cleaned += cp;
    }
  }
  std::vector<std::string> words;
  std::u32string word;
  for (char32_t cp : cleaned) {
    if (cp == U' ') {
      add_word(word, words);
      word.clear();
    } else {
      word += cp;
    }
  }
  add_word(word, words);
  return words;
}

}  // namespace cagcl::data
