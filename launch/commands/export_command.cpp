// `cagcl export`: writes a checkpoint's model weights as one safetensors file (model/model_export.hpp).
#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>
#include <string>

#include "launch/commands/command.hpp"
#include "launch/model_weights_path.hpp"
#include "model/model_export.hpp"

namespace cagcl {
namespace {

struct ExportOptions {
  std::string checkpoint;
  std::string out;
  bool bert_only = false;
};

void run_export(const ExportOptions& o) {
  const auto summary = model::export_model(resolve_model_weights(o.checkpoint), o.out, o.bert_only);
  spdlog::info("export: read {}", summary.source);
  std::cout << "wrote " << o.out << ": " << summary.tensors << " tensors, " << summary.bytes << " bytes"
            << (summary.metadata.count("config_hash") ? ", config " + summary.metadata.at("config_hash") : "") << '\n';
}

}  // namespace

Command add_export_command(CLI::App& app) {
  auto o = std::make_shared<ExportOptions>();
  auto* cmd = app.add_subcommand("export", "Write a checkpoint's model weights as one .safetensors file");
  cmd->add_option("--checkpoint", o->checkpoint,
                  "a model .safetensors, a checkpoint step directory (its model.safetensors) or a run directory "
                  "(its checkpoints/LATEST)")
      ->required();
  cmd->add_option("--out", o->out, "output .safetensors (written atomically)")->required();
  cmd->add_flag("--bert-only", o->bert_only,
                "only the text encoder's BERT, with HuggingFace BertModel names (loadable by transformers)");
  return {cmd, [o] { run_export(*o); }};
}

}  // namespace cagcl
