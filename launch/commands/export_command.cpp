// `cagcl export`: writes a checkpoint's model weights as one safetensors file, or its text encoder as a
// HuggingFace BertModel directory (model/model_export.hpp).
#include <torch/torch.h>  // first: the precompiled header (model/model_export.hpp needs it)

#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "common/error.hpp"
#include "data/data_options.hpp"
#include "data/dataset.hpp"
#include "data/tokenizer.hpp"
#include "launch/commands/command.hpp"
#include "launch/eval_model.hpp"
#include "launch/model_weights_path.hpp"
#include "model/cagcl_model.hpp"
#include "model/model_export.hpp"

namespace cagcl {
namespace {

struct ExportOptions {
  std::string checkpoint;
  std::string out;
  bool bert_only = false;
  std::string config;  // the run's configuration, when no config.yaml can be found (a bare file)
  std::string vocab;   // the run's vocab.txt, when neither text.vocab nor the dataset can give it
};

bool export_name_ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// --vocab, else text.vocab, else the training dataset's own vocabulary: the ids the BERT was trained with.
std::filesystem::path export_vocab(const ExportOptions& o, const Config& config) {
  if (!o.vocab.empty()) {
    if (!std::filesystem::is_regular_file(o.vocab)) throw UsageError("--vocab: no such file '" + o.vocab + "'");
    return o.vocab;
  }
  if (config.text.vocab.empty() &&
      !std::filesystem::is_regular_file(std::filesystem::path(config.data.dir) / "dataset.json"))
    throw UsageError("export: the run's vocabulary is not reachable (text.vocab is empty and data.dir " +
                     config.data.dir + " holds no dataset); give --vocab PATH");
  return vocab_path(config, data::Dataset::open(config.data.dir, {false}));
}

void run_bert_directory_export(const ExportOptions& o) {
  EvalModelSource source;
  source.checkpoint = o.checkpoint;
  source.config = o.config;
  const ResolvedEvalSource run = resolve_eval_source(source);
  const auto vocab_file = export_vocab(o, run.config);
  const auto tokenizer = data::Tokenizer::from_file(vocab_file);
  model::HfBertExport info;
  info.bert = model::bert_config(run.config.text, tokenizer.vocab_size());
  for (int64_t id = 0; id < tokenizer.vocab_size(); ++id) info.vocab.push_back(tokenizer.token(id));
  info.pad_token_id = tokenizer.pad_id();
  info.max_length = run.config.text.max_length;
  const auto summary = model::export_bert_directory(run.weights.string(), o.out, info);
  spdlog::info("export: read {} (configuration {}, vocabulary {})", summary.source, run.config_file.string(),
               vocab_file.string());
  std::cout << "wrote " << o.out << "/: config.json, model.safetensors (" << summary.tensors << " tensors, "
            << summary.bytes << " bytes), vocab.txt (" << info.vocab.size() << " tokens), tokenizer_config.json"
            << (summary.metadata.count("config_hash") ? ", config " + summary.metadata.at("config_hash") : "") << '\n';
}

void run_export(const ExportOptions& o) {
  // --bert-only with a directory: the HF layout. A .safetensors name keeps the bare tensor file of earlier versions.
  if (o.bert_only && !export_name_ends_with(o.out, ".safetensors")) return run_bert_directory_export(o);
  const auto summary = model::export_model(resolve_model_weights(o.checkpoint), o.out, o.bert_only);
  spdlog::info("export: read {}", summary.source);
  std::cout << "wrote " << o.out << ": " << summary.tensors << " tensors, " << summary.bytes << " bytes"
            << (summary.metadata.count("config_hash") ? ", config " + summary.metadata.at("config_hash") : "") << '\n';
}

}  // namespace

Command add_export_command(CLI::App& app) {
  auto o = std::make_shared<ExportOptions>();
  auto* cmd = app.add_subcommand(
      "export", "Write a checkpoint's model weights as one .safetensors file, or its BERT as a HuggingFace directory");
  cmd->add_option("--checkpoint", o->checkpoint,
                  "a model .safetensors, a checkpoint step directory (its model.safetensors) or a run directory "
                  "(its checkpoints/LATEST)")
      ->required();
  cmd->add_option("--out", o->out,
                  "output .safetensors (written atomically); with --bert-only, a directory (new or empty) unless the "
                  "name ends in .safetensors")
      ->required();
  cmd->add_flag("--bert-only", o->bert_only,
                "only the text encoder's BERT with HuggingFace BertModel names: into --out DIR, a directory that "
                "transformers' BertModel/BertTokenizer.from_pretrained read (config.json, model.safetensors, "
                "vocab.txt, tokenizer_config.json); into --out FILE.safetensors, the tensors alone");
  cmd->add_option("--config", o->config,
                  "with --bert-only DIR: the run's configuration (preset or YAML) when the checkpoint has no "
                  "config.yaml of its run (a bare file)");
  cmd->add_option("--vocab", o->vocab,
                  "with --bert-only DIR: the run's vocab.txt (default: text.vocab, else the training dataset's)");
  return {cmd, [o] { run_export(*o); }};
}

}  // namespace cagcl
