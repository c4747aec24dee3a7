#include <torch/torch.h>

#include "launch/eval_model.hpp"

#include <spdlog/spdlog.h>

#include <set>

#include "common/error.hpp"
#include "model/cagcl_model.hpp"
#include "model/safetensors.hpp"
#include "launch/model_weights_path.hpp"

namespace cagcl {
namespace {

// The run directory of a step directory (RUN/checkpoints/step-N) or of a run directory; "" for a bare file.
std::filesystem::path run_dir_of(const std::filesystem::path& weights, const EvalModelSource& s) {
  if (!s.run.empty()) return s.run;
  const auto step = weights.parent_path();
  if (step.parent_path().filename() == "checkpoints") return step.parent_path().parent_path();
  return {};
}

}  // namespace

Config eval_config(const EvalModelSource& source) {
  const std::string what = source.run.empty() ? source.checkpoint : source.run;
  const std::string flag = source.run.empty() ? "--checkpoint" : "--run";
  if (!std::filesystem::exists(what)) throw UsageError(flag + ": no such file or directory '" + what + "'");
  const std::filesystem::path weights = resolve_model_weights(what);
  const std::filesystem::path run = run_dir_of(weights, source);
  Config config;
  if (!source.config.empty()) {
    config = load_config(source.config);
  } else {
    // The trainer writes the resolved configuration as RUN/config.yaml; an exported file may have one beside it.
    const auto file = !run.empty() ? run / "config.yaml" : weights.parent_path() / "config.yaml";
    if (!std::filesystem::is_regular_file(file))
      throw UsageError(flag + " " + what + ": no configuration found (looked for " + file.string() +
                       "); give --config PRESET|FILE with the model's sizes");
    config = load_config(file.string());
  }
  for (const auto& o : source.overrides) apply_override(config, o);
  validate(config);
  return config;
}

EvalModel load_eval_model(const EvalModelSource& source, const Config& config, int64_t vocab_size,
                          const torch::Device& device) {
  EvalModel out;
  out.config = config;
  out.weights = resolve_model_weights(source.run.empty() ? source.checkpoint : source.run);
  out.run_dir = run_dir_of(out.weights, source);
  out.config_file = !source.config.empty() ? std::filesystem::path(source.config)
                    : !out.run_dir.empty()  ? out.run_dir / "config.yaml"
                                            : out.weights.parent_path() / "config.yaml";
  // The checkpoint holds every weight: no pretrained BERT file is needed (or wanted) on the evaluating machine.
  Config build = config;
  build.text.weights.clear();
  auto net = std::make_shared<model::CagclModel>(build, vocab_size);
  const model::TensorMap tensors = model::read_safetensors(out.weights.string());
  std::set<std::string> used;
  torch::NoGradGuard no_grad;
  const auto load = [&](const std::string& name, torch::Tensor& target) {
    const auto it = tensors.find(name);
    if (it == tensors.end())
      throw DataError(out.weights.string() + ": tensor '" + name + "' of the model is missing");
    if (it->second.sizes() != target.sizes())
      throw DataError(out.weights.string() + ": tensor '" + name + "' has shape " + c10::str(it->second.sizes()) +
                      ", the model built from the configuration expects " + c10::str(target.sizes()) +
                      " (another preset or vocabulary?)");
    target.copy_(it->second.to(target.dtype()));
    used.insert(name);
  };
  for (auto& p : (*net)->named_parameters()) load(p.key(), p.value());
  for (auto& b : (*net)->named_buffers()) load(b.key(), b.value());
  for (const auto& [name, tensor] : tensors)
    if (!used.count(name)) spdlog::warn("eval: {}: tensor '{}' is not part of the model; ignored", out.weights.string(), name);
  (*net)->to(device);
  (*net)->eval();
  out.tau = (*net)->tau_local().item<double>();
  std::shared_ptr<model::CagclModel> held = net;
  out.encode_image = [held](const torch::Tensor& image, const torch::Tensor& anatomy) {
    return (*held)->encode_image(image, anatomy);
  };
  out.encode_text = [held](const torch::Tensor& ids, const torch::Tensor& mask) {
    return (*held)->encode_text(ids, mask);
  };
  out.keep_alive = held;
  spdlog::info("eval: model of {} ({} tensors), tau {:.4f}", out.weights.string(), used.size(), out.tau);
  return out;
}

}  // namespace cagcl
