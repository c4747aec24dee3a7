// The HF round trip: `export_bert_directory` writes what transformers' BertModel/BertTokenizer.from_pretrained read,
// and `text.weights` reads such a directory back, refusing a config.json that does not describe the model text.*
// builds. The file contents are checked here with nlohmann's plain parser and a hand-written list of HF's names;
// tests/model/hf_bert_directory_conventions.py checks the CLI's output with Python's json and struct alone.
#include "model/hf_bert_directory.hpp"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "common/error.hpp"
#include "config/config.hpp"
#include "model/cagcl_model.hpp"
#include "model/model_export.hpp"
#include "model/safetensors.hpp"

#include "tests/common/temp_dir.hpp"

namespace cagcl::model {
namespace {

namespace fs = std::filesystem;

// [PAD] is not id 0, so that pad_token_id must come from the vocabulary.
std::vector<std::string> test_vocab() {
  std::vector<std::string> vocab = {"[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"};
  for (int i = static_cast<int>(vocab.size()); i < 50; ++i) vocab.push_back("w" + std::to_string(i));
  return vocab;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

nlohmann::json read_json(const fs::path& path) { return nlohmann::json::parse(read_text(path)); }

void write_text(const fs::path& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

void write_vocab(const fs::path& path, const std::vector<std::string>& vocab) {
  std::string text;
  for (const auto& token : vocab) text += token + "\n";
  write_text(path, text);
}

// HF BertModel's parameter names for `layers` layers, written out from modeling_bert.py's module tree.
std::set<std::string> hf_bert_model_names(int layers) {
  std::set<std::string> names = {"embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
                                 "embeddings.token_type_embeddings.weight", "embeddings.LayerNorm.weight",
                                 "embeddings.LayerNorm.bias"};
  for (int n = 0; n < layers; ++n) {
    const std::string p = "encoder.layer." + std::to_string(n) + ".";
    for (const char* m :
         {"attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
          "attention.output.LayerNorm", "intermediate.dense", "output.dense", "output.LayerNorm"}) {
      names.insert(p + m + ".weight");
      names.insert(p + m + ".bias");
    }
  }
  return names;
}

class HfBertDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = load_config("tiny");
    config_.train.seed = 1;
    write_vocab(dir_ / "vocab.txt", vocab_);
    model_ = CagclModel(config_, static_cast<int64_t>(vocab_.size()));
    TensorMap checkpoint;
    for (const auto& p : model_->named_parameters()) checkpoint[p.key()] = p.value();
    fs::create_directories(dir_ / "step-00000004");
    write_safetensors((dir_ / "step-00000004" / "model.safetensors").string(), checkpoint, {{"config_hash", "c0"}});
  }

  HfBertExport export_info() const {
    HfBertExport info;
    info.bert = bert_config(config_.text, static_cast<int64_t>(vocab_.size()));
    info.vocab = vocab_;
    info.pad_token_id = 3;
    info.max_length = config_.text.max_length;
    return info;
  }

  fs::path export_to(const std::string& name) {
    export_bert_directory((dir_ / "step-00000004").string(), (dir_ / name).string(), export_info());
    return dir_ / name;
  }

  // The model text.* builds, as CagclModel's constructor hands it to resolve_text_weights.
  BertConfig model_bert() const { return bert_config(config_.text, static_cast<int64_t>(vocab_.size())); }

  // The UsageError (exit 2) that loading `dir` through text.weights gives, or "" when it loads.
  std::string refusal(const fs::path& dir, const std::string& text_vocab) const {
    try {
      resolve_text_weights(dir.string(), model_bert(), text_vocab);
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::usage) << e.what();
      return e.what();
    }
    return "";
  }

  cagcl::test_support::TempDir temp_;
  fs::path dir_ = temp_.path();
  std::vector<std::string> vocab_ = test_vocab();
  Config config_;
  CagclModel model_{nullptr};
};

TEST_F(HfBertDirectoryTest, ConfigJsonCarriesBertModelFieldsFromTextSettings) {
  const auto out = export_to("hf");
  const auto config = read_json(out / "config.json");
  EXPECT_EQ(config.at("model_type"), "bert");
  EXPECT_EQ(config.at("architectures"), nlohmann::json::array({"BertModel"}));
  EXPECT_EQ(config.at("vocab_size"), 50);
  EXPECT_EQ(config.at("hidden_size"), config_.text.width);
  EXPECT_EQ(config.at("num_hidden_layers"), config_.text.layers);
  EXPECT_EQ(config.at("num_attention_heads"), config_.text.heads);
  EXPECT_EQ(config.at("intermediate_size"), config_.text.intermediate);
  EXPECT_EQ(config.at("hidden_act"), "gelu");
  EXPECT_EQ(config.at("max_position_embeddings"), 512);
  EXPECT_EQ(config.at("type_vocab_size"), 2);
  EXPECT_DOUBLE_EQ(config.at("layer_norm_eps").get<double>(), 1e-12);
  EXPECT_EQ(config.at("hidden_dropout_prob"), 0.0);
  EXPECT_EQ(config.at("attention_probs_dropout_prob"), 0.0);
  EXPECT_EQ(config.at("pad_token_id"), 3);
  EXPECT_EQ(config.at("position_embedding_type"), "absolute");
  EXPECT_EQ(config.at("torch_dtype"), "float32");
}

TEST_F(HfBertDirectoryTest, TensorsCarryHfBertModelNamesAndShapes) {
  const auto out = export_to("hf");
  std::map<std::string, std::string> metadata;
  const auto tensors = read_safetensors((out / "model.safetensors").string(), metadata);
  std::set<std::string> names;
  for (const auto& item : tensors) names.insert(item.first);
  EXPECT_EQ(names, hf_bert_model_names(static_cast<int>(config_.text.layers)));
  EXPECT_EQ(metadata.at("format"), "pt");  // transformers refuses a safetensors file without it
  const int64_t C = config_.text.width;
  EXPECT_EQ(tensors.at("embeddings.word_embeddings.weight").sizes(), torch::IntArrayRef({50, C}));
  EXPECT_EQ(tensors.at("embeddings.position_embeddings.weight").sizes(), torch::IntArrayRef({512, C}));
  EXPECT_EQ(tensors.at("encoder.layer.0.intermediate.dense.weight").sizes(),
            torch::IntArrayRef({config_.text.intermediate, C}));
  EXPECT_EQ(tensors.at("encoder.layer.0.output.dense.weight").sizes(),
            torch::IntArrayRef({C, config_.text.intermediate}));
}

TEST_F(HfBertDirectoryTest, VocabAndTokenizerConfigMatchCagclsTokenizer) {
  const auto out = export_to("hf");
  EXPECT_EQ(read_text(out / "vocab.txt"), read_text(dir_ / "vocab.txt"));
  const auto tokenizer = read_json(out / "tokenizer_config.json");
  EXPECT_EQ(tokenizer.at("tokenizer_class"), "BertTokenizer");
  EXPECT_EQ(tokenizer.at("do_lower_case"), true);
  EXPECT_TRUE(tokenizer.at("strip_accents").is_null());
  EXPECT_EQ(tokenizer.at("tokenize_chinese_chars"), true);
  EXPECT_EQ(tokenizer.at("model_max_length"), config_.text.max_length);
  EXPECT_EQ(tokenizer.at("pad_token"), "[PAD]");
  EXPECT_EQ(tokenizer.at("mask_token"), "[MASK]");
}

TEST_F(HfBertDirectoryTest, RoundTripThroughTextWeightsGivesIdenticalBertOutputs) {
  const auto out = export_to("hf");
  Config other = config_;
  other.train.seed = 2;
  other.text.vocab = (dir_ / "vocab.txt").string();
  CagclModel fresh(other, 50);
  other.text.weights = out.string();
  CagclModel loaded(other, 50);

  torch::manual_seed(5);
  const auto ids = torch::randint(0, 50, {3, 9}, torch::kLong);
  auto mask = torch::ones({3, 9}, torch::kLong);
  mask.index_put_({1, torch::indexing::Slice(5)}, 0);
  torch::NoGradGuard no_grad;
  const auto expected = model_->text()->bert()->forward(ids, mask);
  EXPECT_TRUE(torch::equal(loaded->text()->bert()->forward(ids, mask), expected));
  EXPECT_FALSE(torch::allclose(fresh->text()->bert()->forward(ids, mask), expected));  // the load did something
}

TEST_F(HfBertDirectoryTest, EachConfigMismatchIsRefusedNamingKeyExpectedAndFound) {
  const auto out = export_to("hf");
  const auto original = read_json(out / "config.json");
  struct Case {
    const char* key;
    nlohmann::json value;
    std::string expected, found;
  };
  const std::vector<Case> cases = {
      {"vocab_size", 30522, "expected 50 (the tokens of text.vocab)", "found 30522"},
      {"hidden_size", 768, "expected 32 (text.width)", "found 768"},
      {"num_hidden_layers", 12, "expected 1 (text.layers)", "found 12"},
      {"num_attention_heads", 4, "expected 2 (text.heads)", "found 4"},
      {"intermediate_size", 3072, "expected 64 (text.intermediate)", "found 3072"},
      {"max_position_embeddings", 1024, "expected 512", "found 1024"},
      {"type_vocab_size", 1, "expected 2", "found 1"},
      {"hidden_act", "gelu_new", "expected \"gelu\"", "found \"gelu_new\""},
      {"layer_norm_eps", 1e-5, "expected 1e-12", "found 1e-05"},
      {"model_type", "roberta", "expected \"bert\"", "found \"roberta\""},
      {"position_embedding_type", "relative_key", "expected \"absolute\"", "found \"relative_key\""},
  };
  const std::string vocab = (dir_ / "vocab.txt").string();
  EXPECT_EQ(refusal(out, vocab), "");
  for (const auto& c : cases) {
    auto edited = original;
    edited[c.key] = c.value;
    write_text(out / "config.json", edited.dump());
    const std::string message = refusal(out, vocab);
    // One line per mismatch: "  KEY: expected E (why), found F".
    const auto line = message.find("\n  " + std::string(c.key) + ": " + c.expected);
    ASSERT_NE(line, std::string::npos) << c.key << ": " << message;
    const auto found = message.find(", " + c.found, line);
    EXPECT_TRUE(found != std::string::npos && found < message.find('\n', line + 1)) << c.key << ": " << message;
    EXPECT_NE(message.find(out.string()), std::string::npos) << message;
  }
  // Every mismatch at once, not the first alone.
  auto both = original;
  both["hidden_size"] = 768;
  both["num_attention_heads"] = 12;
  write_text(out / "config.json", both.dump());
  const std::string message = refusal(out, vocab);
  EXPECT_NE(message.find("hidden_size"), std::string::npos) << message;
  EXPECT_NE(message.find("num_attention_heads"), std::string::npos) << message;
}

TEST_F(HfBertDirectoryTest, ModelConstructionRefusesAMismatchedDirectoryWithExitCode2) {
  const auto out = export_to("hf");
  auto edited = read_json(out / "config.json");
  edited["num_attention_heads"] = 4;  // same tensor shapes: only config.json can tell
  write_text(out / "config.json", edited.dump());
  Config other = config_;
  other.text.vocab = (dir_ / "vocab.txt").string();
  other.text.weights = out.string();
  try {
    CagclModel model(other, 50);
    FAIL() << "a config.json with another head count was accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("num_attention_heads: expected 2 (text.heads), found 4"), std::string::npos)
        << e.what();
  }
}

TEST_F(HfBertDirectoryTest, AbsentKeysTakeHfDefaultsAsAnOldConfigJsonDoes) {
  // Bio_ClinicalBERT's config.json has no model_type, position_embedding_type or layer_norm_eps.
  const nlohmann::json old = {{"hidden_size", 32},       {"num_hidden_layers", 1}, {"num_attention_heads", 2},
                              {"intermediate_size", 64}, {"vocab_size", 50},       {"hidden_act", "gelu"}};
  EXPECT_TRUE(hf_bert_config_mismatches(old, model_bert(), "config.json").empty());
  // Without vocab_size, HF's default of 30522 applies, and that is not this model's.
  auto defaulted = old;
  defaulted.erase("vocab_size");
  const auto mismatches = hf_bert_config_mismatches(defaulted, model_bert(), "config.json");
  ASSERT_EQ(mismatches.size(), 1u);
  EXPECT_EQ(mismatches[0], "vocab_size: expected 50 (the tokens of text.vocab), found 30522");
}

TEST_F(HfBertDirectoryTest, TheDirectorysVocabularyMustBeTextVocab) {
  const auto out = export_to("hf");
  const std::string empty = refusal(out, "");
  EXPECT_NE(empty.find("vocab.txt: expected text.vocab to name it"), std::string::npos) << empty;
  EXPECT_NE(empty.find("set text.vocab: " + (out / "vocab.txt").string()), std::string::npos) << empty;
  auto changed = vocab_;
  changed[7] = "other";
  write_vocab(dir_ / "other_vocab.txt", changed);
  const std::string differs = refusal(out, (dir_ / "other_vocab.txt").string());
  EXPECT_NE(differs.find("found a difference at line 8"), std::string::npos) << differs;
}

TEST_F(HfBertDirectoryTest, PickleWeightsAreRefusedUnread) {
  const fs::path hub = dir_ / "download";
  fs::create_directories(hub);
  fs::copy_file(export_to("hf") / "config.json", hub / "config.json");
  write_text(hub / "pytorch_model.bin", "not read");
  for (const auto& weights : {hub.string(), (hub / "pytorch_model.bin").string()}) {
    try {
      resolve_text_weights(weights, model_bert(), "");
      FAIL() << weights << " was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::data) << e.what();
      EXPECT_NE(std::string(e.what()).find("pickle"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("pytorch_model.bin"), std::string::npos) << e.what();
    }
  }
  write_text(hub / "model.safetensors.index.json", "{}");
  EXPECT_THROW(resolve_text_weights(hub.string(), model_bert(), ""), DataError);
  fs::remove(hub / "config.json");
  EXPECT_THROW(resolve_text_weights(hub.string(), model_bert(), ""), UsageError);  // not an HF directory
}

TEST_F(HfBertDirectoryTest, HubCacheDirectoryResolvesToTheSnapshotRefsMainNames) {
  const auto out = export_to("hf");
  const fs::path repo = dir_ / "models--org--tiny-bert";
  fs::create_directories(repo / "refs");
  fs::create_directories(repo / "snapshots");
  write_text(repo / "refs" / "main", "0123abcd\n");
  fs::rename(out, repo / "snapshots" / "0123abcd");
  const auto file = resolve_text_weights(repo.string(), model_bert(), (dir_ / "vocab.txt").string());
  EXPECT_EQ(file, (repo / "snapshots" / "0123abcd" / "model.safetensors").string());
  write_text(repo / "refs" / "main", "../../etc\n");
  EXPECT_THROW(resolve_text_weights(repo.string(), model_bert(), ""), DataError);
}

TEST_F(HfBertDirectoryTest, MalformedOrOversizedConfigJsonIsADataError) {
  const auto out = export_to("hf");
  const std::string vocab = (dir_ / "vocab.txt").string();
  auto edited = read_json(out / "config.json");
  edited["hidden_size"] = "32";
  write_text(out / "config.json", edited.dump());
  try {
    resolve_text_weights(out.string(), model_bert(), vocab);
    FAIL() << "a string hidden_size was accepted";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("hidden_size must be an integer"), std::string::npos) << e.what();
  }
  write_text(out / "config.json", "[1, 2");
  EXPECT_THROW(resolve_text_weights(out.string(), model_bert(), vocab), DataError);
  write_text(out / "config.json", "{\"pad\": \"" + std::string(kMaxHfConfigBytes, 'x') + "\"}");
  EXPECT_THROW(resolve_text_weights(out.string(), model_bert(), vocab), DataError);
}

TEST_F(HfBertDirectoryTest, ExportIsAllOrNothingAndNeverOverwritesAnotherDirectory) {
  fs::create_directories(dir_ / "taken");
  write_text(dir_ / "taken" / "keep.txt", "mine");
  EXPECT_THROW(export_to("taken"), UsageError);
  EXPECT_EQ(read_text(dir_ / "taken" / "keep.txt"), "mine");

  auto info = export_info();
  info.vocab.pop_back();  // 49 tokens for 50 embedding rows
  EXPECT_THROW(export_bert_directory((dir_ / "step-00000004").string(), (dir_ / "bad").string(), info), DataError);
  EXPECT_FALSE(fs::exists(dir_ / "bad"));
  for (const auto& entry : fs::directory_iterator(dir_))
    EXPECT_EQ(entry.path().filename().string().find(".tmp."), std::string::npos) << entry.path();

  fs::create_directories(dir_ / "empty");
  export_to("empty/");  // an existing empty directory (and a trailing slash) is fine
  EXPECT_TRUE(fs::is_regular_file(dir_ / "empty" / "model.safetensors"));
}

TEST_F(HfBertDirectoryTest, ExportRefusesACheckpointOfAnotherConfiguration) {
  auto info = export_info();
  info.bert.num_layers = 2;
  try {
    export_bert_directory((dir_ / "step-00000004").string(), (dir_ / "x").string(), info);
    FAIL() << "a 1-layer checkpoint exported as 2 layers";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("encoder.layer.1."), std::string::npos) << e.what();
  }
  info = export_info();
  info.bert.intermediate_size = 128;
  EXPECT_THROW(export_bert_directory((dir_ / "step-00000004").string(), (dir_ / "x").string(), info), DataError);
  EXPECT_FALSE(fs::exists(dir_ / "x"));
}

// configs/base_biomedbert.yaml (docs/model.md's recipe) builds a BERT that BiomedBERT-base-uncased-abstract's
// config.json describes (its published values, transcribed: a BERT-base BertForMaskedLM with 30522 tokens).
TEST(HfBertRecipeTest, BaseBiomedBertConfigMatchesABertBaseConfigJson) {
  const Config config = load_config(std::string(CAGCL_TEST_CONFIG_DIR) + "/base_biomedbert.yaml");
  EXPECT_EQ(config.text.weights, "models/BiomedBERT");
  EXPECT_EQ(config.text.vocab, "models/BiomedBERT/vocab.txt");
  EXPECT_EQ(config.text.pooling, "cls");
  const auto published = nlohmann::json::parse(R"({
    "architectures": ["BertForMaskedLM"], "model_type": "bert", "attention_probs_dropout_prob": 0.1,
    "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "hidden_size": 768, "initializer_range": 0.02,
    "intermediate_size": 3072, "max_position_embeddings": 512, "num_attention_heads": 12,
    "num_hidden_layers": 12, "type_vocab_size": 2, "vocab_size": 30522})");
  EXPECT_TRUE(hf_bert_config_mismatches(published, bert_config(config.text, 30522), "config.json").empty());
  // The from-scratch base preset's text sizes are the same; only the weights, vocabulary and pooling differ.
  const Config base = load_config("base");
  EXPECT_TRUE(hf_bert_config_mismatches(published, bert_config(base.text, 30522), "config.json").empty());
  EXPECT_FALSE(hf_bert_config_mismatches(published, bert_config(load_config("small").text, 30522), "c").empty());
}

}  // namespace
}  // namespace cagcl::model
