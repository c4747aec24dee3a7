#include "data/tokenizer.hpp"

#include <fmt/format.h>

#include <cstring>
#include <fstream>

#include "common/error.hpp"
#include "data/basic_tokenizer.hpp"

namespace cagcl::data {

namespace {

// Byte offsets at which each code point of a (valid, basic-tokenized) UTF-8 word starts, plus its size.
std::vector<size_t> code_point_starts(const std::string& word) {
  std::vector<size_t> starts;
  for (size_t i = 0; i < word.size(); ++i) {
    if ((static_cast<unsigned char>(word[i]) & 0xC0) != 0x80) starts.push_back(i);
  }
  starts.push_back(word.size());
  return starts;
}

// The special token (HF BertTokenizer's all_special_tokens) spelled exactly at `at`, or nullptr.
const char* special_token_at(const std::string& text, size_t at) {
  for (const char* token : {kClsToken, kSepToken, kPadToken, kMaskToken, kUnkToken})
    if (text.compare(at, std::strlen(token), token) == 0) return token;
  return nullptr;
}

}  // namespace

Tokenizer Tokenizer::from_file(const std::filesystem::path& vocab_txt) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(vocab_txt, ec))
    throw UsageError(vocab_txt.string() + ": vocabulary file does not exist or is not a regular file");
  std::ifstream in(vocab_txt, std::ios::binary);
  if (!in) throw UsageError(vocab_txt.string() + ": cannot open the vocabulary file");
  std::vector<std::string> vocab;
  std::unordered_map<std::string, size_t> first_line;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();  // a vocab.txt saved with CRLF line ends
    if (!line.empty()) {
      const auto [it, inserted] = first_line.emplace(line, vocab.size() + 1);
      if (!inserted) {
        throw DataError(fmt::format("{}: line {}: token '{}' repeats line {}", vocab_txt.string(), vocab.size() + 1,
                                    line, it->second));
      }
    }
    vocab.push_back(line);
  }
  if (in.bad()) throw IoError(vocab_txt.string() + ": read error");
  if (vocab.empty()) throw DataError(vocab_txt.string() + ": the vocabulary file is empty");
  for (const char* special : {kPadToken, kUnkToken, kClsToken, kSepToken}) {
    if (!first_line.count(special))
      throw DataError(fmt::format("{}: no {} token (a BERT vocab.txt has [PAD], [UNK], [CLS] and [SEP])",
                                  vocab_txt.string(), special));
  }
  return Tokenizer(std::move(vocab));
}

Tokenizer::Tokenizer(std::vector<std::string> vocab) : vocab_(std::move(vocab)) {
  ids_.reserve(vocab_.size());
  for (size_t i = 0; i < vocab_.size(); ++i) {
    if (vocab_[i].empty()) continue;
    if (!ids_.emplace(vocab_[i], static_cast<int64_t>(i)).second)
      throw UsageError(fmt::format("vocabulary: token '{}' at id {} repeats id {}", vocab_[i], i, ids_[vocab_[i]]));
  }
  auto special = [this](const char* token) {
    const int64_t id = id_of(token);
    if (id < 0) throw UsageError(fmt::format("vocabulary: no {} token", token));
    return id;
  };
  pad_id_ = special(kPadToken);
  unk_id_ = special(kUnkToken);
  cls_id_ = special(kClsToken);
  sep_id_ = special(kSepToken);
}

int64_t Tokenizer::id_of(const std::string& token) const {
  const auto it = ids_.find(token);
  return it == ids_.end() ? -1 : it->second;
}

const std::string& Tokenizer::token(int64_t id) const {
  if (id < 0 || id >= vocab_size()) throw UsageError(fmt::format("token id {} is not in [0, {})", id, vocab_size()));
  return vocab_[static_cast<size_t>(id)];
}

void Tokenizer::word_pieces(const std::string& word, std::vector<std::string>& out) const {
  const std::vector<size_t> starts = code_point_starts(word);
  const size_t chars = starts.size() - 1;
  if (chars > kMaxWordChars) {
    out.emplace_back(kUnkToken);
    return;
  }
  std::vector<std::string> pieces;
  size_t start = 0;
  while (start < chars) {
    // Longest vocabulary entry that starts here; a piece that does not start the word carries "##".
    bool found = false;
    for (size_t end = chars; end > start; --end) {
      std::string piece = word.substr(starts[start], starts[end] - starts[start]);
      if (start > 0) piece = "##" + piece;
      if (ids_.count(piece)) {
        pieces.push_back(std::move(piece));
        start = end;
        found = true;
        break;
      }
    }
    if (!found) {  // BERT gives up on the whole word, not just the remainder
      out.emplace_back(kUnkToken);
      return;
    }
  }
  out.insert(out.end(), pieces.begin(), pieces.end());
}

std::vector<std::string> Tokenizer::tokenize(const std::string& text) const {
  std::vector<std::string> pieces;
  auto add_text = [&](size_t begin, size_t end) {
    for (const std::string& word : basic_tokenize(text.substr(begin, end - begin))) word_pieces(word, pieces);
  };
  // HF splits the raw text at its special tokens before any cleaning or lower-casing (its added-tokens trie);
  // each becomes that token, or [UNK] when the vocabulary lacks it. They all start with '[' and hold no other
  // '[', so a left-to-right scan finds the same matches as the trie.
  size_t done = 0;
  for (size_t at = text.find('['); at != std::string::npos; at = text.find('[', at + 1)) {
    const char* special = special_token_at(text, at);
    if (special == nullptr) continue;
    add_text(done, at);
    pieces.emplace_back(ids_.count(special) ? special : kUnkToken);
    done = at + std::strlen(special);
    at = done - 1;
  }
  add_text(done, text.size());
  return pieces;
}

std::vector<int64_t> Tokenizer::ids(const std::string& text) const {
  std::vector<int64_t> out;
  for (const std::string& piece : tokenize(text)) out.push_back(ids_.at(piece));  // pieces come from ids_
  return out;
}

std::vector<int64_t> Tokenizer::encode(const std::string& text, int64_t max_length) const {
  if (max_length < 2)
    throw UsageError(fmt::format("max_length {}: must be >= 2 (room for [CLS] and [SEP])", max_length));
  std::vector<int64_t> pieces = ids(text);
  const size_t room = static_cast<size_t>(max_length - 2);
  if (pieces.size() > room) pieces.resize(room);
  std::vector<int64_t> out;
  out.reserve(pieces.size() + 2);
  out.push_back(cls_id_);
  out.insert(out.end(), pieces.begin(), pieces.end());
  out.push_back(sep_id_);
  return out;
}

Tokenizer::Encoded Tokenizer::encode_padded(const std::string& text, int64_t max_length) const {
  Encoded e;
  e.ids = encode(text, max_length);
  e.mask.assign(e.ids.size(), 1);
  e.ids.resize(static_cast<size_t>(max_length), pad_id_);
  e.mask.resize(static_cast<size_t>(max_length), 0);
  return e;
}

}  // namespace cagcl::data
