#pragma once
// The rule-based report splitter: report text -> sentences -> anatomies, by a keyword lexicon kept in a data
// file (configs/anatomy_lexicon.yaml; rules in docs/converting.md). Used when no anatomy-level sentences are
// supplied (fVLM's are written by a language model).
#include <filesystem>
#include <string>
#include <vector>

namespace cagcl::data::convert {

// Sentences of a report section, in order: a sentence ends at '.', '!' or '?' followed by white space and
// then an upper-case letter or a digit, or by the end of the text; at a '.' directly followed by an
// upper-case letter after a lower-case one ("normal.No"); and at a line break. Decimal points ("0.5 cm"),
// a period followed by lower case, and the period of a known abbreviation ("approx. 3 cm", "e.g.", "vs.")
// do not end a sentence. Sentences are trimmed; empty ones are dropped.
std::vector<std::string> split_sentences(const std::string& text);

class AnatomyLexicon {
 public:
  // UsageError naming the file and the key on a bad lexicon.
  static AnatomyLexicon load(const std::filesystem::path& yaml_file);
  static AnatomyLexicon from_yaml(const std::string& yaml_text, const std::string& origin);

  // True when the sentence contains a normal cue.
  bool is_normal_statement(const std::string& sentence) const;
  // Anatomies (names) a sentence is about; empty for normal statements.
  std::vector<std::string> anatomies_of(const std::string& sentence) const;
  // Anatomies whose keywords the sentence contains, normal statement or not.
  std::vector<std::string> anatomies_mentioned(const std::string& sentence) const;

  // Per anatomy of `anatomies` (UsageError when one is missing from the lexicon): the impression's
  // sentences (conclusion) and the findings' sentences (description) about it, in report order. A findings
  // sentence with a normal cue joins an anatomy it mentions only when that anatomy has a sentence without one
  // (a pertinent negative of an abnormal anatomy); otherwise the anatomy keeps the normal template.
  struct Split {
    std::vector<std::vector<std::string>> conclusion;
    std::vector<std::vector<std::string>> description;
  };
  Split split_report(const std::string& findings, const std::string& impression,
                     const std::vector<std::string>& anatomies) const;

  const std::string& origin() const { return origin_; }

 private:
  struct Term {
    std::string text;  // lower case
    bool prefix = false;
  };
  struct Entry {
    std::string anatomy;
    std::vector<Term> keywords;
    std::vector<Term> exclude;
  };
  static bool contains(const std::string& lower_sentence, const Term& term);
  std::string origin_;
  std::vector<Term> normal_cues_;
  std::vector<Entry> entries_;
};

}  // namespace cagcl::data::convert
