#include <torch/torch.h>

#include "launch/live_zero_shot.hpp"

#include <spdlog/spdlog.h>

#include <cmath>
#include <limits>
#include <utility>

#include "common/error.hpp"
#include "data/data_options.hpp"
#include "eval/evaluation_texts.hpp"
#include "eval/prompt_templates.hpp"
#include "eval/protocol.hpp"
#include "eval/volume_embedder.hpp"

namespace cagcl {
namespace {

constexpr double kNoFigure = std::numeric_limits<double>::quiet_NaN();

// The broadcast layout: six scalars, then one macro AUC per family.
enum Slot : size_t { auc_mean, template_sd, collapse, recall_1, recall_5, recall_10, first_family };

double at_or_nan(const std::vector<double>& values, size_t i) { return i < values.size() ? values[i] : kNoFigure; }

}  // namespace

LiveZeroShot::LiveZeroShot(Config config, std::shared_ptr<const data::Dataset> dataset, std::vector<int64_t> valid)
    : config_(std::move(config)), dataset_(std::move(dataset)), valid_(std::move(valid)) {}

void LiveZeroShot::prepare(int rank) {
  prepared_ = true;
  const auto& dataset = *dataset_;
  const auto& valid = valid_;
  const auto& manifest = dataset.manifest();
  try {
    fixed_.protocol = eval::protocol_by_name("fvlm16");
    fixed_.anatomies = manifest.anatomies;
    fixed_.truth = eval::truth_columns(fixed_.protocol, manifest.labels, manifest.anatomies,
                                       (dataset.dir() / data::kManifestFileName).string());
    fixed_.families = eval::builtin_families();
    report_texts_ = eval::collect_report_texts(dataset, valid, fixed_);
  } catch (const DataError& e) {
    disabled_ = true;  // the same dataset on every rank: every rank turns it off alike
    if (rank == 0) spdlog::warn("train.val_zero_shot: live zero-shot scoring off for this run: {}", e.what());
    return;
  }
  fixed_.similarity_texts = -1;  // every distinct text of the split
  tokenizer_.emplace(data::Tokenizer::from_file(vocab_path(config_, dataset)));
}

std::vector<double> LiveZeroShot::figures(model::CagclModel& net, eval::EvaluationInputs in,
                                          const torch::Device& device) const {
  const eval::TextEncoder encode_text = [&net](const torch::Tensor& ids, const torch::Tensor& mask) {
    return net->encode_text(ids, mask);
  };
  in.tau = net->tau_local().item<double>();
  in.prompts = eval::embed_prompts(in.protocol, in.families, *tokenizer_, config_.text.max_length, encode_text, device);
  const torch::Tensor te = eval::embed_texts(report_texts_, *tokenizer_, config_.text.max_length, encode_text, device);
  in.text_dim = te.numel() ? te.size(1) : 0;
  in.text_embeddings.assign(te.data_ptr<float>(), te.data_ptr<float>() + te.numel());
  const eval::ZeroShotSummary summary = eval::summarize_zero_shot(in);
  const auto& rb = summary.robustness;
  const auto& recall = summary.retrieval.mean_image_to_report;  // K = 1, 5, 10 (retrieval_recall's default)
  std::vector<double> out(first_family + rb.macro_auc.size(), kNoFigure);
  out[auc_mean] = rb.mean_macro_auc;
  out[template_sd] = rb.sd_macro_auc;
  out[collapse] = summary.similarity.collapse_index;
  out[recall_1] = at_or_nan(recall, 0), out[recall_5] = at_or_nan(recall, 1), out[recall_10] = at_or_nan(recall, 2);
  for (size_t f = 0; f < rb.macro_auc.size(); ++f) out[first_family + f] = rb.macro_auc[f];
  return out;
}

std::optional<trainer::ZeroShotFigures> LiveZeroShot::score(model::CagclModel& net, Communicator& comm, int64_t step) {
  if (!prepared_) prepare(comm.rank());
  if (disabled_ || valid_.empty()) return std::nullopt;
  torch::NoGradGuard no_grad;
  const torch::Device device = net->tau_local().device();
  eval::EmbedOptions embed;
  embed.window = config_.data.crop;  // `cagcl eval`'s default window
  embed.hu_min = config_.data.hu_min, embed.hu_max = config_.data.hu_max;
  embed.dim = config_.model.embed_dim;
  embed.device = device;
  embed.log_progress = false;
  const eval::ImageEncoder encode_image = [&net](const torch::Tensor& image, const torch::Tensor& anatomy) {
    return net->encode_image(image, anatomy);
  };
  eval::EvaluationInputs in = fixed_;
  in.images = eval::embed_volumes(*dataset_, valid_, encode_image, embed, comm);

  const size_t families = fixed_.families.size();
  torch::Tensor packed = torch::full({static_cast<int64_t>(first_family + families)}, kNoFigure, torch::kDouble);
  if (comm.rank() == 0) {
    const std::vector<double> values = figures(net, std::move(in), device);
    if (values.size() != first_family + families)
      throw Error("live zero-shot validation at step " + std::to_string(step) + ": " + std::to_string(values.size()) +
                  " figures for " + std::to_string(families) + " template families");
    std::copy(values.begin(), values.end(), packed.data_ptr<double>());
  }
  packed = packed.to(comm.device());
  comm.broadcast(packed, 0);
  packed = packed.to(torch::kCPU).contiguous();
  const double* v = packed.data_ptr<double>();
  trainer::ZeroShotFigures out;
  for (size_t f = 0; f < families; ++f) {
    out.families.push_back(fixed_.families[f].name);
    out.macro_auc.push_back(v[first_family + f]);
  }
  out.macro_auc_mean = v[auc_mean];
  out.template_sd = v[template_sd];
  out.collapse_index = v[collapse];
  out.recall_at_1 = v[recall_1], out.recall_at_5 = v[recall_5], out.recall_at_10 = v[recall_10];
  return out;
}

}  // namespace cagcl
