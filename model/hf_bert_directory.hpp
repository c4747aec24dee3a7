#pragma once
// A HuggingFace BertModel directory, as `BertModel.from_pretrained(DIR)` and `BertTokenizer.from_pretrained(DIR)`
// read it and as `huggingface-cli download` leaves a published BERT: config.json, model.safetensors, vocab.txt and
// tokenizer_config.json. `cagcl export --bert-only --out DIR` writes one; `text.weights` reads one, or a bare
// .safetensors file, checking config.json against the model that text.* builds (docs/model.md).
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/bert.hpp"
#include "model/safetensors.hpp"

namespace cagcl::model {

inline constexpr const char* kHfConfigFile = "config.json";
inline constexpr const char* kHfWeightsFile = "model.safetensors";
inline constexpr const char* kHfVocabFile = "vocab.txt";
inline constexpr const char* kHfTokenizerConfigFile = "tokenizer_config.json";
// A published BERT's config.json is about 1 KB and its vocab.txt under 1 MB; anything far larger is not one.
inline constexpr uintmax_t kMaxHfConfigBytes = 1u << 20;
inline constexpr uintmax_t kMaxHfVocabBytes = 64u << 20;

// What the exported directory describes besides the tensors.
struct HfBertExport {
  BertConfig bert;                 // the text encoder's sizes (text.* and the vocabulary)
  std::vector<std::string> vocab;  // the WordPiece vocabulary in id order (vocab.txt, one token a line)
  int64_t pad_token_id = 0;
  int64_t max_length = 512;  // text.max_length: the tokenizer's model_max_length (cagcl truncates there)
};

// config.json of a BertModel of these sizes. Dropout is 0 because cagcl's BERT has none (it trains without).
nlohmann::ordered_json hf_bert_config_json(const BertConfig& bert, int64_t pad_token_id, const std::string& dtype);
// tokenizer_config.json of BertTokenizer as cagcl tokenizes (data/tokenizer.hpp): lower case, accents stripped,
// CJK split, truncation at max_length. Special tokens the vocabulary lacks are left out.
nlohmann::ordered_json hf_tokenizer_config_json(const std::vector<std::string>& vocab, int64_t max_length);

// Writes the four files into `dir`, all or nothing: they are written and fsynced in a temporary sibling directory,
// which is then renamed to `dir`. `dir` must not exist or be an empty directory (UsageError naming it otherwise:
// an earlier export is never half replaced). `bert_tensors` carry HF BertModel names (embeddings.*, encoder.*).
// DataError when the vocabulary's size differs from embeddings.word_embeddings.weight's rows.
void write_hf_bert_directory(const std::filesystem::path& dir, const TensorMap& bert_tensors, const HfBertExport& info,
                             const std::map<std::string, std::string>& metadata);

// The .safetensors file `text.weights` names: the file itself; DIR/model.safetensors of an HF model directory
// (after check_hf_bert_config); or, for the hub cache's models--ORG--NAME directory, the snapshot its refs/main
// names. A PyTorch pickle (pytorch_model.bin, *.bin, *.pt, *.pth) is refused (never unpickled: unpickling runs
// code), and so are sharded weights. `model` is the BERT that text.* built, `text_vocab` the text.vocab setting.
std::string resolve_text_weights(const std::string& weights, const BertConfig& model, const std::string& text_vocab);

// The differences between an HF config.json and the model, one "KEY: expected E (text.SETTING), found F" each;
// empty when the weights fit. DataError when a key has the wrong JSON type. `origin` names the file.
std::vector<std::string> hf_bert_config_mismatches(const nlohmann::json& config, const BertConfig& model,
                                                   const std::string& origin);

// Reads DIR/config.json (bounded, through common/json_file) and throws a UsageError naming every mismatch with the
// model (exit 2); a vocab.txt in DIR must also be the file text.vocab names, token for token.
void check_hf_bert_directory(const std::filesystem::path& dir, const BertConfig& model, const std::string& text_vocab);

}  // namespace cagcl::model
