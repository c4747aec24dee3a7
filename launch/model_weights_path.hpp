#pragma once
// Which model.safetensors `cagcl eval` and `cagcl export` read. A run directory (with checkpoints/) or a
// checkpoint step directory with a manifest goes through the trainer's checkpoint resolution: every file is
// verified against the manifest's size and SHA-256, and a damaged newest checkpoint of a run falls back to
// the previous good one, saying why (trainer/checkpoint_store.hpp). Anything else (a bare .safetensors, a
// directory holding just model.safetensors) is taken as it is (model::resolve_model_file).
#include <string>

namespace cagcl {

std::string resolve_model_weights(const std::string& run_checkpoint_or_file);

}  // namespace cagcl
