#pragma once
// A WordPiece vocabulary for a corpus we generate ourselves (the synthetic phantoms): every word of the
// corpus is a whole token, so the corpus never produces [UNK], and single characters a-z 0-9 with their
// "##" forms let any other ASCII word still encode (as pieces). Used by `cagcl synth` to write vocab.txt.
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "data/sample.hpp"

namespace cagcl::data {

class VocabBuilder {
 public:
  // Seeds the vocabulary with what training and evaluation say besides the reports: the normal template of
  // each anatomy, the anatomy names, the label names and the words of the zero-shot prompt templates
  // (METHOD.md, "Prompt robustness").
  VocabBuilder(const std::vector<std::string>& anatomies, const std::vector<std::string>& labels);

  // Every basic-tokenized word of `text`.
  void add_text(const std::string& text);
  // Every sentence of every anatomy and the whole findings and impression sections.
  void add_sample(const Sample& sample);

  // [PAD] [UNK] [CLS] [SEP] [MASK] (ids 0-4), then the words and characters in byte order: the same
  // texts give the same vocabulary whatever order they were added in.
  std::vector<std::string> tokens() const;
  // tokens(), one per line, each line ending in '\n' (the vocab.txt format).
  std::string vocab_txt() const;
  // Writes vocab_txt() atomically (common/atomic_file.hpp).
  void write(const std::filesystem::path& path) const;

 private:
  std::set<std::string> words_;
};

}  // namespace cagcl::data
