// Overfitting check (a standard diagnostic of a contrastive model): one fixed batch of phantoms, no
// augmentation (centre crop, no flips, un-augmented texts), trained for --steps steps in one process with
// AdamW. Prints the loss against the batch's computed floor (model/contrastive_loss.hpp,
// contrastive_loss_floor) every --every steps, then a JSON line. A model that cannot get near the floor on
// a handful of samples will not learn from many: see docs/learning.md.
//   build/bench/overfit [--preset tiny] [--volumes 8] [--steps 200] [--set key=value ...]
#include <torch/torch.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "config/config.hpp"
#include "data/loader.hpp"
#include "data/phantom/phantom.hpp"
#include "data/text_pipeline.hpp"
#include "data/tokenizer.hpp"
#include "data/vocab_builder.hpp"
#include "model/cagcl_model.hpp"
#include "model/contrastive_loss.hpp"
#include "model/instances.hpp"

namespace {

using namespace cagcl;

// The fixed batch: `volumes` phantoms of the preset's synth size through the evaluation path of the loader.
data::Batch fixed_batch(const Config& config, int64_t volumes, const std::filesystem::path& work, int64_t& vocab_size) {
  data::phantom::PhantomOptions po;
  po.size = {config.synth.size[0], config.synth.size[1], config.synth.size[2]};
  po.seed = config.synth.seed;
  const auto plans = data::phantom::plan_cohort(volumes, po);
  std::vector<data::Sample> samples;
  data::VocabBuilder vocab(data::phantom::anatomies(), data::phantom::labels());
  for (const auto& plan : plans) {
    samples.push_back(data::phantom::render(plan, po));
    vocab.add_sample(samples.back());
  }
  std::filesystem::create_directories(work);
  vocab.write(work / "vocab.txt");
  auto tokenizer = std::make_shared<const data::Tokenizer>(data::Tokenizer::from_file(work / "vocab.txt"));
  vocab_size = tokenizer->vocab_size();
  data::AugmentOptions no_augment;
  no_augment.p_aug = 0;
  auto text =
      data::make_text_pipeline(tokenizer, config.data.anatomies, no_augment, config.train.seed, config.text.max_length);
  data::SamplerOptions so;
  so.num_samples = volumes, so.batch_size = volumes, so.shuffle = false, so.drop_last = false;
  data::LoaderOptions lo;
  lo.train = false;
  lo.crop = config.data.crop;
  lo.hu_min = config.data.hu_min, lo.hu_max = config.data.hu_max;
  lo.workers = 1, lo.prefetch = 1;
  lo.num_anatomies = static_cast<int64_t>(config.data.anatomies.size());
  lo.num_labels = static_cast<int64_t>(data::phantom::labels().size());
  data::Loader loader([&](int64_t i) { return samples.at(static_cast<size_t>(i)); }, data::Sampler(so), 0, lo, text);
  return loader.next();
}

// Where the first step's gradient norm comes from: the five parameters with the largest gradient norms.
void print_largest_gradients(torch::nn::Module& net) {
  std::vector<std::pair<double, std::string>> norms;
  for (const auto& p : net.named_parameters())
    if (p.value().grad().defined()) norms.emplace_back(p.value().grad().norm().item<double>(), p.key());
  std::sort(norms.rbegin(), norms.rend());
  for (size_t i = 0; i < norms.size() && i < 5; ++i)
    std::printf("  grad norm %10.3f  %s\n", norms[i].first, norms[i].second.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Overfit one fixed batch of phantoms and compare the loss with its floor"};
  std::string preset = "tiny";
  int64_t volumes = 8, steps = 200, every = 20;
  std::vector<std::string> overrides;
  app.add_option("--preset", preset, "configuration preset or YAML file")->capture_default_str();
  app.add_option("--volumes", volumes, "phantoms in the fixed batch")->capture_default_str();
  app.add_option("--steps", steps, "optimizer steps")->capture_default_str();
  app.add_option("--every", every, "print every N steps")->capture_default_str();
  app.add_option("--set", overrides, "configuration overrides key=value (model, loss, train.lr, ...)");
  CLI11_PARSE(app, argc, argv);
  try {
    const Config config = load_config(preset, overrides);
    torch::manual_seed(static_cast<uint64_t>(config.train.seed));
    int64_t vocab_size = 0;
    const data::Batch batch =
        fixed_batch(config, volumes, std::filesystem::temp_directory_path() / "cagcl-overfit-bench", vocab_size);
    model::CagclModel net(config, vocab_size);
    net->train();
    torch::optim::AdamW optimizer(net->parameters(), torch::optim::AdamWOptions(config.train.lr)
                                                         .betas({config.train.beta1, config.train.beta2})
                                                         .weight_decay(config.train.weight_decay));
    model::LossValues floor;
    nlohmann::json curve = nlohmann::json::array();
    const auto start = std::chrono::steady_clock::now();
    std::printf(
        "| step | loss | local | global | floor | gap | grad norm | tau |\n| --- | --- | --- | --- | --- | --- | --- | "
        "--- |\n");
    for (int64_t step = 1; step <= steps; ++step) {
      // Warm-up as in training: linear over train.warmup_steps, then constant (the check is about fitting).
      const double lr =
          config.train.lr * std::min(1.0, static_cast<double>(step) / std::max<int64_t>(1, config.train.warmup_steps));
      for (auto& group : optimizer.param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
      optimizer.zero_grad();
      const auto instances = model::intact_instances(net->forward(batch), batch);
      if (step == 1) floor = model::contrastive_loss_floor(instances, config.loss);
      const auto terms =
          model::ca_gcl_loss_rows(instances, 0, instances, net->tau_local(), net->tau_global(), config.loss);
      terms.total.backward();
      if (step == 1) print_largest_gradients(*net);
      const double grad_norm = torch::nn::utils::clip_grad_norm_(
          net->parameters(), config.train.grad_clip > 0 ? config.train.grad_clip : 1e30);
      optimizer.step();
      net->clamp_temperatures();
      const double loss = terms.total.item<double>();
      if (step % every == 0 || step == 1 || step == steps) {
        std::printf("| %lld | %.4f | %.4f | %.4f | %.4f | %.4f | %.2f | %.4f |\n", static_cast<long long>(step), loss,
                    terms.local.item<double>(), terms.global.item<double>(), floor.total, loss - floor.total, grad_norm,
                    net->tau_local().item<double>());
        curve.push_back({{"step", step}, {"loss", loss}, {"gap", loss - floor.total}, {"grad_norm", grad_norm}});
      }
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%s\n", nlohmann::json({{"bench", "overfit"},
                                        {"preset", preset},
                                        {"volumes", volumes},
                                        {"steps", steps},
                                        {"floor", floor.total},
                                        {"seconds", seconds},
                                        {"overrides", overrides},
                                        {"curve", curve}})
                            .dump()
                            .c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "overfit: %s\n", e.what());
    return 1;
  }
}
