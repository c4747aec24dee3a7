#pragma once
// BERT WordPiece tokenizer over a standard `vocab.txt`, giving the same pieces and ids as HuggingFace's
// BertTokenizer(do_lower_case=True) so that published BERT weights see the text they were trained on
// (docs/text.md): BasicTokenizer words (data/basic_tokenizer.hpp), then greedy longest-match-first
// WordPiece with "##" continuation pieces.
#include <cstdint>
#include <filesystem>
#include <string>
#include <unordered_map>
#include <vector>

namespace cagcl::data {

inline constexpr const char* kPadToken = "[PAD]";
inline constexpr const char* kUnkToken = "[UNK]";
inline constexpr const char* kClsToken = "[CLS]";
inline constexpr const char* kSepToken = "[SEP]";
inline constexpr const char* kMaskToken = "[MASK]";
// A word longer than this (in code points) becomes [UNK] whole, as in BERT.
inline constexpr size_t kMaxWordChars = 100;

class Tokenizer {
 public:
  // One token per line, id = 0-based line number (a trailing '\r' is dropped). UsageError naming the file
  // when it is missing or unreadable; DataError naming it when it is empty, lacks [CLS]/[SEP]/[PAD]/[UNK],
  // or repeats a token (with both line numbers).
  static Tokenizer from_file(const std::filesystem::path& vocab_txt);
  // vocab[i] is the token of id i. An empty string keeps its id but never matches. UsageError when a token
  // repeats or a special token is missing.
  explicit Tokenizer(std::vector<std::string> vocab);

  // Word pieces, e.g. "Peribronchial thickening." -> peri ##bron ##chial thickening . (vocabulary-dependent).
  // A special token written in the text ("[CLS]", "[SEP]", "[PAD]", "[MASK]", "[UNK]", exactly so) is that
  // token, as in HF ([UNK] when the vocabulary lacks it).
  std::vector<std::string> tokenize(const std::string& text) const;
  // Ids of the pieces.
  std::vector<int64_t> ids(const std::string& text) const;
  // [CLS] pieces [SEP]; pieces past max_length - 2 are dropped (the end of the text is cut, as HF's
  // truncation of a single sequence does). No padding. UsageError when max_length < 2.
  std::vector<int64_t> encode(const std::string& text, int64_t max_length) const;

  struct Encoded {
    std::vector<int64_t> ids;   // exactly max_length: encode(), then [PAD]
    std::vector<int64_t> mask;  // 1 for [CLS], pieces and [SEP]; 0 for padding
  };
  Encoded encode_padded(const std::string& text, int64_t max_length) const;

  int64_t pad_id() const { return pad_id_; }
  int64_t cls_id() const { return cls_id_; }
  int64_t sep_id() const { return sep_id_; }
  int64_t unk_id() const { return unk_id_; }
  int64_t vocab_size() const { return static_cast<int64_t>(vocab_.size()); }
  // Id of a token, or -1 when it is not in the vocabulary.
  int64_t id_of(const std::string& token) const;
  const std::string& token(int64_t id) const;

 private:
  // Appends the pieces of one basic-tokenized word: greedy longest match, [UNK] when any remainder has no
  // match or the word has more than kMaxWordChars code points.
  void word_pieces(const std::string& word, std::vector<std::string>& out) const;

  std::vector<std::string> vocab_;
  std::unordered_map<std::string, int64_t> ids_;
  int64_t pad_id_ = -1, cls_id_ = -1, sep_id_ = -1, unk_id_ = -1;
};

}  // namespace cagcl::data
