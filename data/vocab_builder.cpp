#include "data/vocab_builder.hpp"

#include "common/atomic_file.hpp"
#include "data/basic_tokenizer.hpp"
#include "data/schema.hpp"
#include "data/tokenizer.hpp"

namespace cagcl::data {

VocabBuilder::VocabBuilder(const std::vector<std::string>& anatomies, const std::vector<std::string>& labels) {
  for (char c = 'a'; c <= 'z'; ++c) {
    words_.insert(std::string(1, c));
    words_.insert("##" + std::string(1, c));
  }
  for (char c = '0'; c <= '9'; ++c) {
    words_.insert(std::string(1, c));
    words_.insert("##" + std::string(1, c));
  }
  for (const auto& anatomy : anatomies) add_text(normal_template(anatomy));
  for (const auto& label : labels) add_text(label);
  // The words of the zero-shot template families: "{X}." / "Not {X}.", "{X} is (not) present.",
  // "There is (no) {x} in the {anatomy}.", "The {anatomy} shows (no) {x}.", "Findings consistent with {x}." /
  // "No evidence of {x}.".
  add_text("present not there is no in the shows findings consistent with evidence of .");
}

void VocabBuilder::add_text(const std::string& text) {
  for (auto& word : basic_tokenize(text)) words_.insert(std::move(word));
}

void VocabBuilder::add_sample(const Sample& sample) {
  for (const auto* part : {&sample.conclusion, &sample.description}) {
    for (const auto& sentences : *part) {
      for (const auto& sentence : sentences) add_text(sentence);
    }
  }
  add_text(sample.findings);
  add_text(sample.impression);
}

std::vector<std::string> VocabBuilder::tokens() const {
  // Specials cannot collide with words: '[' and ']' are punctuation, so no basic-tokenized word holds them.
  std::vector<std::string> tokens = {kPadToken, kUnkToken, kClsToken, kSepToken, kMaskToken};
  tokens.insert(tokens.end(), words_.begin(), words_.end());
  return tokens;
}

std::string VocabBuilder::vocab_txt() const {
  std::string text;
  for (const auto& token : tokens()) text += token + '\n';
  return text;
}

void VocabBuilder::write(const std::filesystem::path& path) const { write_file_atomically(path, vocab_txt()); }

}  // namespace cagcl::data
