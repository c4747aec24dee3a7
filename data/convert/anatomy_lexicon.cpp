#include "data/convert/anatomy_lexicon.hpp"

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "common/error.hpp"

namespace cagcl::data::convert {
namespace {

bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
// Letters and digits (ASCII; UTF-8 continuation bytes count as letters so that accents never split a word).
bool is_word_char(char c) {
  return is_lower(c) || is_upper(c) || is_digit(c) || (static_cast<unsigned char>(c) & 0x80) != 0;
}

std::string lower(std::string s) {
  for (char& c : s)
    if (is_upper(c)) c = static_cast<char>(c - 'A' + 'a');
  return s;
}

std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  return s.substr(b, e - b);
}

// Words whose trailing period does not end a sentence ("approx. 3 cm").
bool is_abbreviation_before(const std::string& text, size_t period) {
  size_t b = period;
  while (b > 0 && (is_word_char(text[b - 1]) || text[b - 1] == '.')) --b;
  const std::string word = lower(text.substr(b, period - b));
  for (const char* a : {"approx", "appr", "e.g", "i.e", "vs", "cf", "ca", "fig", "diam", "resp", "incl"})
    if (word == a) return true;
  return false;
}

}  // namespace

std::vector<std::string> split_sentences(const std::string& text) {
  std::vector<std::string> out;
  std::string current;
  auto flush = [&] {
    std::string s = trim(current);
    if (!s.empty()) out.push_back(std::move(s));
    current.clear();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n' || c == '\r') {
      flush();
      continue;
    }
    current += c;
    if (c != '.' && c != '!' && c != '?') continue;
    size_t j = i + 1;
    if (j >= text.size()) {
      flush();
      continue;
    }
    if (c == '.' && is_upper(text[j]) && i > 0 && is_lower(text[i - 1])) {
      flush();
      continue;
    }
    if (!is_space(text[j])) continue;
    if (c == '.' && is_abbreviation_before(text, i)) continue;
    while (j < text.size() && is_space(text[j]) && text[j] != '\n' && text[j] != '\r') ++j;
    if (j >= text.size() || is_upper(text[j]) || is_digit(text[j]) || text[j] == '\n' || text[j] == '\r') flush();
  }
  flush();
  return out;
}

bool AnatomyLexicon::contains(const std::string& s, const Term& term) {
  for (size_t pos = s.find(term.text); pos != std::string::npos; pos = s.find(term.text, pos + 1)) {
    if (pos > 0 && is_word_char(s[pos - 1])) continue;
    const size_t end = pos + term.text.size();
    if (!term.prefix && end < s.size() && is_word_char(s[end])) continue;
    return true;
  }
  return false;
}

AnatomyLexicon AnatomyLexicon::load(const std::filesystem::path& yaml_file) {
  std::ifstream in(yaml_file);
  if (!in) throw IoError(yaml_file.string() + ": cannot open the anatomy lexicon");
  std::stringstream text;
  text << in.rdbuf();
  return from_yaml(text.str(), yaml_file.string());
}

AnatomyLexicon AnatomyLexicon::from_yaml(const std::string& yaml_text, const std::string& origin) {
  AnatomyLexicon lex;
  lex.origin_ = origin;
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw UsageError(fmt::format("{}: not valid YAML: {}", origin, e.what()));
  }
  auto terms = [&](const YAML::Node& node, const std::string& key) {
    std::vector<Term> out;
    if (!node) return out;
    if (!node.IsSequence()) throw UsageError(fmt::format("{}: '{}' must be a list of terms", origin, key));
    for (size_t i = 0; i < node.size(); ++i) {
      std::string t;
      try {
        t = lower(node[i].as<std::string>());
      } catch (const YAML::Exception&) {
        throw UsageError(fmt::format("{}: {}[{}]: not a string", origin, key, i));
      }
      Term term;
      term.prefix = !t.empty() && t.back() == '*';
      if (term.prefix) t.pop_back();
      if (t.empty()) throw UsageError(fmt::format("{}: {}[{}]: empty term", origin, key, i));
      term.text = t;
      out.push_back(term);
    }
    return out;
  };
  if (!root.IsMap()) throw UsageError(origin + ": expected a mapping with 'normal_cues' and 'anatomies'");
  lex.normal_cues_ = terms(root["normal_cues"], "normal_cues");
  const YAML::Node anatomies = root["anatomies"];
  if (!anatomies || !anatomies.IsMap() || anatomies.size() == 0)
    throw UsageError(origin + ": 'anatomies' must map anatomy names to {keywords, exclude}");
  for (const auto& kv : anatomies) {
    if (!kv.first.IsScalar()) throw UsageError(origin + ": 'anatomies' has a key that is not an anatomy name");
    Entry e;
    e.anatomy = kv.first.Scalar();
    const std::string key = "anatomies." + e.anatomy;
    if (!kv.second.IsMap())
      throw UsageError(fmt::format("{}: '{}' must be a mapping {{keywords, exclude}}", origin, key));
    e.keywords = terms(kv.second["keywords"], key + ".keywords");
    if (e.keywords.empty()) throw UsageError(fmt::format("{}: '{}.keywords' must not be empty", origin, key));
    e.exclude = terms(kv.second["exclude"], key + ".exclude");
    lex.entries_.push_back(std::move(e));
  }
  return lex;
}

bool AnatomyLexicon::is_normal_statement(const std::string& sentence) const {
  const std::string s = lower(sentence);
  for (const auto& cue : normal_cues_)
    if (contains(s, cue)) return true;
  return false;
}

std::vector<std::string> AnatomyLexicon::anatomies_of(const std::string& sentence) const {
  if (is_normal_statement(sentence)) return {};
  return anatomies_mentioned(sentence);
}

std::vector<std::string> AnatomyLexicon::anatomies_mentioned(const std::string& sentence) const {
  std::vector<std::string> out;
  const std::string s = lower(sentence);
  for (const auto& e : entries_) {
    bool hit = false;
    for (const auto& k : e.keywords) hit = hit || contains(s, k);
    for (const auto& x : e.exclude) hit = hit && !contains(s, x);
    if (hit) out.push_back(e.anatomy);
  }
  return out;
}

AnatomyLexicon::Split AnatomyLexicon::split_report(const std::string& findings, const std::string& impression,
                                                   const std::vector<std::string>& anatomies) const {
  for (const auto& a : anatomies) {
    bool known = false;
    for (const auto& e : entries_) known = known || e.anatomy == a;
    if (!known) throw UsageError(fmt::format("{}: no keywords for anatomy '{}'", origin_, a));
  }
  Split split;
  split.conclusion.assign(anatomies.size(), {});
  split.description.assign(anatomies.size(), {});
  // Findings sentences per anatomy in report order, each marked when it is a normal statement.
  std::vector<std::vector<std::pair<std::string, bool>>> findings_of(anatomies.size());
  std::vector<bool> abnormal(anatomies.size(), false);
  const auto assign = [&](const std::string& text, bool is_findings) {
    for (const auto& sentence : split_sentences(text)) {
      const bool normal = is_normal_statement(sentence);
      if (normal && !is_findings) continue;
      for (const auto& a : anatomies_mentioned(sentence)) {
        for (size_t k = 0; k < anatomies.size(); ++k) {
          if (anatomies[k] != a) continue;
          abnormal[k] = abnormal[k] || !normal;
          if (is_findings)
            findings_of[k].emplace_back(sentence, normal);
          else
            split.conclusion[k].push_back(sentence);
        }
      }
    }
  };
  assign(impression, false);
  assign(findings, true);
  // A normal statement about an anatomy that has findings is a pertinent negative ("No pleural effusion."
  // beside a nodule) and stays with it; about an anatomy without findings it is dropped, so that anatomy
  // keeps the normal template.
  for (size_t k = 0; k < anatomies.size(); ++k)
    for (const auto& [sentence, normal] : findings_of[k])
      if (abnormal[k]) split.description[k].push_back(sentence);
  return split;
}

}  // namespace cagcl::data::convert
