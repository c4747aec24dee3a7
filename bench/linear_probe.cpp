// Linear probe of a trained model's image side (eval/linear_probe.hpp): per fvlm16 finding, logistic regression
// on the frozen anatomy embedding, fitted on one split and scored on another, next to the same probe on the
// untrained model of the same configuration (its random features are the floor to beat):
//   build/bench/linear_probe --run RUN [--data DIR] [--fit-split train] [--split valid]
// A finding whose probe AUC is high while its zero-shot AUC is at chance was learned by the image side and
// lost on the text side. Prints a table and one JSON line.
#include <torch/torch.h>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <memory>
#include <vector>

#include "comm/comm_options.hpp"
#include "comm/make_communicator.hpp"
#include "common/error.hpp"
#include "data/data_options.hpp"
#include "data/dataset.hpp"
#include "data/tokenizer.hpp"
#include "eval/linear_probe.hpp"
#include "eval/protocol.hpp"
#include "eval/volume_embedder.hpp"
#include "launch/eval_model.hpp"
#include "launch/runtime.hpp"
#include "model/cagcl_model.hpp"

namespace {

using namespace cagcl;

std::vector<int64_t> split_indices(const data::Dataset& dataset, const std::string& split) {
  std::vector<int64_t> out;
  for (int64_t i = 0; i < dataset.size(); ++i)
    if (dataset.read_metadata(i).split == split) out.push_back(i);
  if (out.empty()) throw UsageError("split '" + split + "': no volume of " + dataset.dir().string() + " is in it");
  return out;
}

// The untrained model of `config` (its seeded initialisation), as an image encoder.
eval::ImageEncoder untrained_encoder(const Config& config, int64_t vocab_size, std::shared_ptr<void>& keep) {
  Config build = config;
  build.text.weights.clear();
  auto net = std::make_shared<model::CagclModel>(build, vocab_size);
  (*net)->eval();
  keep = net;
  return
      [net](const torch::Tensor& image, const torch::Tensor& anatomy) { return (*net)->encode_image(image, anatomy); };
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Linear probe of a trained model's anatomy embeddings, next to the untrained model's"};
  EvalModelSource source;
  std::string data_dir, fit_split = "train", split = "valid";
  app.add_option("--run", source.run, "run directory (its LATEST checkpoint and config.yaml)")->required();
  app.add_option("--data", data_dir, "dataset (default: the run's data.dir)");
  app.add_option("--fit-split", fit_split, "split the probes are fitted on")->capture_default_str();
  app.add_option("--split", split, "split the probes are scored on")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  Runtime runtime(&argc, &argv);
  return runtime.run_or_abort([&] {
    const ResolvedEvalSource resolved = resolve_eval_source(source);
    const Config& config = resolved.config;
    const data::Dataset dataset = data::Dataset::open(data_dir.empty() ? config.data.dir : data_dir, {false});
    const data::Tokenizer tokenizer = data::Tokenizer::from_file(vocab_path(config, dataset));
    const EvalModel trained = load_eval_model(resolved, tokenizer.vocab_size(), runtime.device());
    std::shared_ptr<void> keep;
    const eval::ImageEncoder untrained = untrained_encoder(config, tokenizer.vocab_size(), keep);
    auto comm = make_communicator(runtime.device(), comm_options(config.comm));

    eval::EmbedOptions embed;
    embed.window = config.data.crop;
    embed.hu_min = config.data.hu_min, embed.hu_max = config.data.hu_max;
    embed.dim = config.model.embed_dim;
    embed.device = runtime.device();
    const auto fit_indices = split_indices(dataset, fit_split), eval_indices = split_indices(dataset, split);
    const eval::Protocol protocol = eval::protocol_by_name("fvlm16");
    const auto& manifest = dataset.manifest();
    const auto probe = [&](const eval::ImageEncoder& encoder) {
      const auto fit = eval::embed_volumes(dataset, fit_indices, encoder, embed, *comm);
      const auto scored = eval::embed_volumes(dataset, eval_indices, encoder, embed, *comm);
      return eval::linear_probe(protocol, manifest.anatomies, manifest.labels, fit, scored);
    };
    const auto learned = probe(trained.encode_image), baseline = probe(untrained);
    if (comm->rank() != 0) return 0;

    std::printf("linear probe: fitted on '%s' (%zu volumes), scored on '%s' (%zu volumes)\n", fit_split.c_str(),
                fit_indices.size(), split.c_str(), eval_indices.size());
    std::printf("| finding | anatomy | positives fit / scored | probe AUC trained | probe AUC untrained |\n");
    std::printf("| --- | --- | --- | --- | --- |\n");
    nlohmann::json rows = nlohmann::json::array();
    double sum_trained = 0, sum_untrained = 0;
    int counted = 0;
    for (size_t f = 0; f < learned.size(); ++f) {
      const auto& r = learned[f];
      std::printf("| %s | %s | %lld / %lld | %.3f | %.3f |\n", r.finding.c_str(), r.anatomy.c_str(),
                  static_cast<long long>(r.train_positives), static_cast<long long>(r.eval_positives), r.auc,
                  baseline[f].auc);
      if (std::isfinite(r.auc) && std::isfinite(baseline[f].auc)) {
        sum_trained += r.auc, sum_untrained += baseline[f].auc, ++counted;
      }
      rows.push_back({{"finding", r.finding},
                      {"anatomy", r.anatomy},
                      {"auc", r.auc},
                      {"auc_untrained", baseline[f].auc},
                      {"fit_positives", r.train_positives},
                      {"scored_positives", r.eval_positives}});
    }
    const double mean_trained = counted ? sum_trained / counted : NAN,
                 mean_untrained = counted ? sum_untrained / counted : NAN;
    std::printf("mean probe AUC over %d findings: trained %.3f, untrained %.3f\n", counted, mean_trained,
                mean_untrained);
    std::printf("%s\n", nlohmann::json({{"bench", "linear_probe"},
                                        {"run", source.run},
                                        {"mean_auc", mean_trained},
                                        {"mean_auc_untrained", mean_untrained},
                                        {"findings", rows}})
                            .dump()
                            .c_str());
    return 0;
  });
}
