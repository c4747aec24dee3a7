#include "model/cagcl_model.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <set>
#include <string>

#include "common/error.hpp"
#include "model/hf_bert_directory.hpp"
#include "model/weight_import.hpp"

namespace cagcl::model {
namespace {

constexpr double kInitStd = 0.02;
constexpr int64_t kBertPositions = 512;
constexpr int64_t kBertTokenTypes = 2;

Grid learned_grid(const Config& config) {
  Grid grid{};
  for (size_t i = 0; i < 3; ++i) {
    if (config.vision.patch[i] <= 0 || config.data.crop[i] % config.vision.patch[i] != 0) {
      throw UsageError("data.crop: each size must be a multiple of vision.patch (axis " + std::to_string(i) + ")");
    }
    grid[i] = config.data.crop[i] / config.vision.patch[i];
  }
  return grid;
}

// The layers' own constructors draw their default initialisation from the global CPU generator; that
// draw is overwritten by initialize_parameters, and restoring the state keeps model construction from
// shifting every later random number of the program (augmentation, dropout of other code, tests).
class GlobalRngRestorer {
 public:
  GlobalRngRestorer() : generator_(at::detail::getDefaultCPUGenerator()) {
    std::lock_guard<std::mutex> lock(generator_.mutex());
    state_ = generator_.get_state();
  }
  ~GlobalRngRestorer() {
    std::lock_guard<std::mutex> lock(generator_.mutex());
    generator_.set_state(state_);
  }
  GlobalRngRestorer(const GlobalRngRestorer&) = delete;
  GlobalRngRestorer& operator=(const GlobalRngRestorer&) = delete;

 private:
  at::Generator generator_;
  at::Tensor state_;
};

}  // namespace

BertConfig bert_config(const TextConfig& text, int64_t vocab_size) {
  if (vocab_size < 1) throw UsageError("text.vocab: the vocabulary is empty");
  BertConfig bert;
  bert.vocab_size = vocab_size;
  bert.hidden_size = text.width;
  bert.num_layers = text.layers;
  bert.num_heads = text.heads;
  bert.intermediate_size = text.intermediate;
  bert.max_position_embeddings = std::max(kBertPositions, text.max_length);
  bert.type_vocab_size = kBertTokenTypes;
  return bert;
}

void initialize_parameters(torch::nn::Module& module, uint64_t seed) {
  torch::NoGradGuard no_grad;
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  std::set<const void*> layer_norm_weights;
  for (const auto& sub : module.modules(/*include_self=*/false)) {
    if (auto* norm = sub->as<torch::nn::LayerNormImpl>()) layer_norm_weights.insert(norm->weight.unsafeGetTensorImpl());
  }
  for (auto& item : module.named_parameters()) {
    auto& p = item.value();
    const std::string& name = item.key();
    if (name.rfind("tau_", 0) == 0) continue;
    const bool is_bias = name.size() >= 4 && name.compare(name.size() - 4, 4, "bias") == 0;
    if (is_bias) {
      p.zero_();
    } else if (layer_norm_weights.count(p.unsafeGetTensorImpl())) {
      p.fill_(1.0);
    } else {
      // Drawn on the CPU in float64 with a private generator, so the values do not depend on the device,
      // the dtype or anything else that used the global RNG.
      p.copy_(at::normal(0.0, kInitStd, p.sizes(), generator, torch::kDouble));
    }
  }
}

CagclModelImpl::CagclModelImpl(const Config& config, int64_t vocab_size)
    : num_anatomies_(static_cast<int64_t>(config.data.anatomies.size())),
      embed_dim_(config.model.embed_dim),
      tau_min_(config.model.tau_min),
      tau_max_(config.model.tau_max) {
  if (!(config.model.tau_min <= config.model.tau_init && config.model.tau_init <= config.model.tau_max)) {
    throw UsageError("model.tau_init: must lie in [model.tau_min, model.tau_max]");
  }
  const GlobalRngRestorer restore_global_rng;
  vision_ = register_module("vision", VisionTransformer(config.vision, learned_grid(config)));
  pooling_ = register_module(
      "pooling", AnatomyPooling(num_anatomies_, config.vision.width, config.model.pool_heads, config.model.embed_dim));
  text_ = register_module("text", TextEncoder(bert_config(config.text, vocab_size), config.model.embed_dim,
                                              text_pooling_from_string(config.text.pooling)));
  tau_local_ = register_parameter("tau_local", torch::full({}, config.model.tau_init));
  if (config.model.separate_global_tau) {
    tau_global_ = register_parameter("tau_global", torch::full({}, config.model.tau_init));
  }
  initialize_parameters(*this, config.train.seed);
  if (!config.text.weights.empty()) {
    // A directory's config.json is checked against text.* before any tensor is read (model/hf_bert_directory.hpp).
    const std::string file = resolve_text_weights(config.text.weights, text_->bert()->config(), config.text.vocab);
    const auto report = load_bert_weights(*text_->bert(), file);
    log_weight_import(report, "text.weights " + file);
  }
}

Embeddings CagclModelImpl::forward(const data::Batch& batch) {
  if (batch.token_ids.dim() != 3 || batch.token_ids.size(1) != num_anatomies_ ||
      batch.attention.sizes() != batch.token_ids.sizes()) {
    throw UsageError("batch token_ids and attention must be [B," + std::to_string(num_anatomies_) + ",L]");
  }
  const int64_t B = batch.token_ids.size(0), A = num_anatomies_, L = batch.token_ids.size(2);
  Embeddings out;
  out.v = encode_image(batch.image, batch.anatomy);
  out.t = encode_text(batch.token_ids.reshape({B * A, L}), batch.attention.reshape({B * A, L})).view({B, A, -1});
  return out;
}

torch::Tensor CagclModelImpl::encode_image(const torch::Tensor& image, const torch::Tensor& anatomy) {
  if (anatomy.dim() != 4 || image.dim() != 5 || anatomy.size(0) != image.size(0) ||
      anatomy.sizes().slice(1) != image.sizes().slice(2)) {
    throw UsageError("image [B,1,D,H,W] and anatomy [B,D,H,W] disagree in shape");
  }
  const auto membership = token_membership(anatomy, num_anatomies_, vision_->patch());
  return pooling_(vision_(image), membership);
}

torch::Tensor CagclModelImpl::encode_text(const torch::Tensor& token_ids, const torch::Tensor& attention) {
  return text_(token_ids, attention);
}

torch::Tensor CagclModelImpl::tau_local() { return tau_local_.clamp(tau_min_, tau_max_); }

torch::Tensor CagclModelImpl::tau_global() {
  return tau_global_.defined() ? tau_global_.clamp(tau_min_, tau_max_) : tau_local();
}

void CagclModelImpl::clamp_temperatures() {
  torch::NoGradGuard no_grad;
  tau_local_.clamp_(tau_min_, tau_max_);
  if (tau_global_.defined()) tau_global_.clamp_(tau_min_, tau_max_);
}

}  // namespace cagcl::model
