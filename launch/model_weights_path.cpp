#include <torch/torch.h>  // first: the precompiled header (trainer/checkpoint_store.hpp needs it)

#include "launch/model_weights_path.hpp"

#include <filesystem>

#include "model/model_export.hpp"
#include "trainer/checkpoint_manifest.hpp"
#include "trainer/checkpoint_store.hpp"

namespace cagcl {

std::string resolve_model_weights(const std::string& what) {
  const std::filesystem::path path(what);
  if (std::filesystem::is_directory(path / "checkpoints") ||
      std::filesystem::is_regular_file(path / trainer::kCheckpointManifestName))
    return (std::filesystem::path(trainer::resolve_checkpoint(what)) / trainer::kModelFileName).string();
  return model::resolve_model_file(what);
}

}  // namespace cagcl
