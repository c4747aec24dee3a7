#pragma once
// The trained model as `cagcl eval` needs it: the configuration it was built with, its encoders and its
// temperature, loaded from a run directory (the checkpoint RUN/checkpoints/LATEST names), a checkpoint step
// directory, or a bare .safetensors file (e.g. from `cagcl export`), as resolve_model_weights finds them (checkpoints
// verified, a damaged newest one skipped: launch/model_weights_path.hpp).
// The configuration is RUN/config.yaml (written by `cagcl train`), a config.yaml next to a bare file, or
// --config; --set overrides apply on top.
#include <torch/torch.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "eval/volume_embedder.hpp"

namespace cagcl {

struct EvalModelSource {
  std::string run;                     // --run RUN
  std::string checkpoint;              // --checkpoint STEP_DIR | FILE.safetensors
  std::string config;                  // --config: needed for a bare .safetensors whose run config cannot be found
  std::vector<std::string> overrides;  // --set (data.* and the like; model shape keys must match the weights)
};

struct EvalModel {
  Config config;
  std::filesystem::path weights;      // the model.safetensors read
  std::filesystem::path config_file;  // where the configuration came from ("" = --config / preset)
  std::filesystem::path run_dir;      // "" when unknown
  double tau = 0.07;
  eval::ImageEncoder encode_image;
  eval::TextEncoder encode_text;
  std::shared_ptr<void> keep_alive;  // the model module behind the encoders
};

// What a source names, found once: the weights file (a run's checkpoints are verified here, once, so the
// configuration and the weights come from the same resolution) and the configuration, --set applied.
struct ResolvedEvalSource {
  Config config;
  std::filesystem::path weights;
  std::filesystem::path config_file;  // where the configuration came from (--config as given, or a config.yaml)
  std::filesystem::path run_dir;      // "" when unknown
};

// Without loading weights. UsageError naming --run/--checkpoint/--config when the source or its configuration
// cannot be found.
ResolvedEvalSource resolve_eval_source(const EvalModelSource& source);
// Builds the model of `source.config` with `vocab_size` rows and loads `source.weights` onto `device`, in eval
// mode. Errors name the file and tensor (missing, extra, wrong shape).
EvalModel load_eval_model(const ResolvedEvalSource& source, int64_t vocab_size, const torch::Device& device);

}  // namespace cagcl
