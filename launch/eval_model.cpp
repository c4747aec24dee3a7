#include <torch/torch.h>

#include "launch/eval_model.hpp"

#include <spdlog/spdlog.h>

#include <set>

#include "common/error.hpp"
#include "launch/model_weights_path.hpp"
#include "model/cagcl_model.hpp"
#include "model/safetensors.hpp"

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

ResolvedEvalSource resolve_eval_source(const EvalModelSource& source) {
  const std::string what = source.run.empty() ? source.checkpoint : source.run;
  const std::string flag = source.run.empty() ? "--checkpoint" : "--run";
  if (!std::filesystem::exists(what)) throw UsageError(flag + ": no such file or directory '" + what + "'");
  ResolvedEvalSource r;
  r.weights = resolve_model_weights(what);
  r.run_dir = run_dir_of(r.weights, source);
  if (!source.config.empty()) {
    r.config_file = source.config;
    r.config = load_config(source.config);
  } else {
    // The trainer writes the resolved configuration as RUN/config.yaml; an exported file may have one beside it.
    r.config_file = !r.run_dir.empty() ? r.run_dir / "config.yaml" : r.weights.parent_path() / "config.yaml";
    if (!std::filesystem::is_regular_file(r.config_file))
      throw UsageError(flag + " " + what + ": no configuration found (looked for " + r.config_file.string() +
                       "); give --config PRESET|FILE with the model's sizes");
    r.config = load_config(r.config_file.string());
  }
  for (const auto& o : source.overrides) apply_override(r.config, o);
  validate(r.config);
  return r;
}

EvalModel load_eval_model(const ResolvedEvalSource& source, int64_t vocab_size, const torch::Device& device) {
  EvalModel out;
  out.config = source.config;
  out.weights = source.weights;
  out.run_dir = source.run_dir;
  out.config_file = source.config_file;
  // The checkpoint holds every weight: no pretrained BERT file is needed (or wanted) on the evaluating machine.
  Config build = source.config;
  build.text.weights.clear();
  auto net = std::make_shared<model::CagclModel>(build, vocab_size);
  const model::TensorMap tensors = model::read_safetensors(out.weights.string());
  std::set<std::string> used;
  torch::NoGradGuard no_grad;
  const auto load = [&](const std::string& name, torch::Tensor& target) {
    const auto it = tensors.find(name);
    if (it == tensors.end()) throw DataError(out.weights.string() + ": tensor '" + name + "' of the model is missing");
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
    if (!used.count(name))
      spdlog::warn("eval: {}: tensor '{}' is not part of the model; ignored", out.weights.string(), name);
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
