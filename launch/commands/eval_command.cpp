// `cagcl eval`: zero-shot abnormality detection of a trained model on a dataset split, under several prompt
// template families, with the protocol's metrics, prompt robustness, the text-similarity analysis,
// volume-report retrieval and a report directory (docs/evaluation.md). Runs on every rank under mpirun/srun:
// the ranks share the volumes, rank 0 gathers them, embeds the texts, scores and writes the report.
#include <torch/torch.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <climits>
#include <cmath>
#include <iostream>
#include <set>

#include "comm/comm_options.hpp"
#include "comm/make_communicator.hpp"
#include "common/error.hpp"
#include "data/data_options.hpp"
#include "data/dataset.hpp"
#include "data/tokenizer.hpp"
#include "eval/evaluation_texts.hpp"
#include "eval/prompt_templates.hpp"
#include "eval/protocol.hpp"
#include "eval/report_writer.hpp"
#include "eval/retrieval.hpp"
#include "eval/trained_instances.hpp"
#include "eval/volume_embedder.hpp"
#include "eval/zero_shot_evaluation.hpp"
#include "launch/commands/command.hpp"
#include "launch/commands/parse_triple.hpp"
#include "launch/eval_model.hpp"
#include "launch/runtime.hpp"

namespace cagcl {
namespace {

struct EvalOptions {
  EvalModelSource source;
  std::string data;
  std::string protocol = "fvlm16";
  std::string templates = "all";
  std::string out;
  std::string split = "valid";
  std::string vocab;
  std::string window;
  std::string curves_from;  // run directory of the training curves; "" = the evaluated run's
  int64_t limit = 0;
  int64_t bootstrap = 1000;
  uint64_t seed = 42;
  double min_inside = 0.9;
  int64_t similarity_texts = 2000;
  int threshold_folds = 2;
  int threads = 0;
  bool no_plots = false;
  bool no_verify = false;
};

// The step of a checkpoint's weights (RUN/checkpoints/step-NNNNNNNN/model.safetensors); INT64_MAX otherwise.
int64_t checkpoint_step(const std::filesystem::path& weights) {
  const std::string dir = weights.parent_path().filename().string();
  if (dir.rfind("step-", 0) != 0 || dir.size() == 5 || dir.size() > 5 + 18 ||
      dir.find_first_not_of("0123456789", 5) != std::string::npos)
    return INT64_MAX;
  return std::stoll(dir.substr(5));
}

// The intact instances each anatomy trained on (from the run's metrics.jsonl): an anatomy with none was scored
// through a query and projection that never got a gradient.
void print_trained_instances(const std::map<std::string, int64_t>& trained, const std::vector<std::string>& anatomies) {
  if (trained.empty()) return;
  std::string line;
  for (const auto& [anatomy, n] : trained) line += (line.empty() ? "" : ", ") + anatomy + " " + std::to_string(n);
  std::cout << "trained on (intact instances, from the run's metrics.jsonl): " << line << "\n";
  for (const auto& anatomy : anatomies) {
    const auto it = trained.find(anatomy);
    if (it == trained.end() || it->second == 0)
      std::cout << "  " << anatomy << ": never entered a training loss; its figures come from an untrained query\n";
  }
}

// Dataset indices of the evaluated split, in dataset order (first `limit` when > 0).
std::vector<int64_t> select_volumes(const data::Dataset& dataset, const std::string& split, int64_t limit) {
  std::vector<int64_t> out;
  std::set<std::string> seen;
  for (int64_t i = 0; i < dataset.size(); ++i) {
    const auto s = dataset.read_metadata(i);
    seen.insert(s.split);
    if (split == "all" || s.split == split) out.push_back(i);
    if (limit > 0 && static_cast<int64_t>(out.size()) == limit) break;
  }
  if (out.empty()) {
    std::string splits;
    for (const auto& s : seen) splits += (splits.empty() ? "" : ", ") + s;
    throw UsageError("--split " + split + ": no volume of " + dataset.dir().string() + " is in it (splits: " + splits +
                     ", or all)");
  }
  return out;
}

// --vocab, else text.vocab, else the training dataset's own vocabulary (data.dir of the run's configuration),
// else the evaluated dataset's: the model must see the token ids it was trained with.
std::filesystem::path eval_vocab(const EvalOptions& o, const Config& config, const data::Dataset& dataset) {
  if (!o.vocab.empty()) {
    if (!std::filesystem::is_regular_file(o.vocab)) throw UsageError("--vocab: no such file '" + o.vocab + "'");
    return o.vocab;
  }
  if (config.text.vocab.empty() &&
      std::filesystem::is_regular_file(std::filesystem::path(config.data.dir) / "dataset.json")) {
    try {
      return vocab_path(config, data::Dataset::open(config.data.dir, {false}));
    } catch (const Error& e) {
      spdlog::warn("eval: the training dataset's vocabulary is not usable ({}); using the evaluated dataset's",
                   e.what());
    }
  }
  return vocab_path(config, dataset);
}

// "retrieval (image->report R@1/5/10): 0.12 / 0.40 / 0.61; report->image: ... (mean over 3 anatomies)", then
// the anatomies that had no abnormal instance to query with.
void print_retrieval(const eval::RetrievalResult& r) {
  const auto join = [](const std::vector<double>& values) {
    std::string out;
    for (double v : values) out += (out.empty() ? "" : " / ") + (std::isfinite(v) ? fmt::format("{:.2f}", v) : "n/a");
    return out;
  };
  std::string ks;
  for (int64_t k : r.ks) ks += (ks.empty() ? "" : "/") + std::to_string(k);
  std::cout << "retrieval (image->report R@" << ks << "): " << join(r.mean_image_to_report)
            << "; report->image: " << join(r.mean_report_to_image) << " (mean over " << r.anatomies_in_mean
            << " anatomies)\n";
  for (const auto& a : r.anatomies)
    if (a.image_to_report.queries == 0)
      std::cout << "  " << a.anatomy << ": no abnormal instance, left out of the retrieval mean\n";
}

void run_eval(const EvalOptions& o) {
  if (o.source.run.empty() == o.source.checkpoint.empty())
    throw UsageError("eval: give exactly one of --run RUN and --checkpoint PATH");
  if (o.out.empty()) throw UsageError("--out: required (the report directory)");
  if (o.bootstrap < 1) throw UsageError("--bootstrap " + std::to_string(o.bootstrap) + ": must be >= 1");
  if (o.threshold_folds < 2) throw UsageError("--threshold-folds: must be >= 2");
  if (o.similarity_texts < 0) throw UsageError("--similarity-texts: must be >= 0");
  // Everything that can be checked without the model or the data first: a typo costs no loading time.
  const eval::Protocol protocol = eval::protocol_by_name(o.protocol);
  const std::vector<eval::TemplateFamily> families = eval::select_families(o.templates);

  if (o.threads < 0) throw UsageError("--threads: must be >= 0");
  if (!o.curves_from.empty() &&
      !std::filesystem::is_regular_file(std::filesystem::path(o.curves_from) / "metrics.jsonl"))
    throw UsageError("--curves-from " + o.curves_from + ": no metrics.jsonl in it (a run directory of cagcl train)");
  // The inputs every rank reads alike are checked before MPI starts: a bad flag, dataset or split is then an
  // ordinary error with its exit code on every rank, not an MPI_Abort.
  const ResolvedEvalSource source = resolve_eval_source(o.source);
  const Config& config = source.config;
  const std::string data_dir = o.data.empty() ? config.data.dir : o.data;
  data::DatasetOptions open_options;
  open_options.verify_checksums = !o.no_verify && config.data.verify_checksums;
  const data::Dataset dataset = data::Dataset::open(data_dir, open_options);
  const auto& manifest = dataset.manifest();
  const auto truth = eval::truth_columns(protocol, manifest.labels, manifest.anatomies,
                                         (dataset.dir() / data::kManifestFileName).string());
  const auto vocab_file = eval_vocab(o, config, dataset);
  const data::Tokenizer tokenizer = data::Tokenizer::from_file(vocab_file);
  const std::vector<int64_t> indices = select_volumes(dataset, o.split, o.limit);
  eval::EmbedOptions embed;
  embed.window = o.window.empty() ? config.data.crop : parse_triple<int64_t>(o.window, 'x', "--window");
  for (size_t k = 0; k < 3; ++k)
    if (embed.window[k] % config.vision.patch[k] != 0)
      throw UsageError("--window " + std::to_string(embed.window[0]) + "x" + std::to_string(embed.window[1]) + "x" +
                       std::to_string(embed.window[2]) + ": must be a multiple of vision.patch on every axis");
  embed.hu_min = config.data.hu_min, embed.hu_max = config.data.hu_max;
  embed.min_inside = o.min_inside;
  embed.dim = config.model.embed_dim;

  RuntimeOptions runtime_options;
  runtime_options.cpu_threads = o.threads;
  Runtime runtime(nullptr, nullptr, runtime_options);
  runtime.run_or_abort([&] {
    EvalModel model = load_eval_model(source, tokenizer.vocab_size(), runtime.device());
    auto comm = make_communicator(runtime.device(), comm_options(config.comm));
    embed.device = runtime.device();
    spdlog::info(
        "eval: {} volumes of split '{}' from {} on {} rank(s), protocol {}, {} template families, window {}x{}x{}",
        indices.size(), o.split, dataset.dir().string(), comm->size(), protocol.name, families.size(), embed.window[0],
        embed.window[1], embed.window[2]);
    eval::EvaluationInputs in;
    in.images = eval::embed_volumes(dataset, indices, model.encode_image, embed, *comm);
    if (comm->rank() == 0) {
      in.protocol = protocol;
      in.anatomies = manifest.anatomies;
      in.truth = truth;
      in.families = families;
      in.tau = model.tau;
      in.bootstrap = {o.bootstrap, o.seed, 0.95};
      in.threshold_folds = o.threshold_folds;
      // Prompts: every family's positive and negative sentence of every finding.
      in.prompts = eval::embed_prompts(protocol, families, tokenizer, config.text.max_length, model.encode_text,
                                       runtime.device());
      // Every distinct report text: retrieval's candidates; the similarity analysis takes the first ones.
      const std::vector<std::string> texts = eval::collect_report_texts(dataset, indices, in);
      in.similarity_texts = o.similarity_texts;
      const torch::Tensor te =
          eval::embed_texts(texts, tokenizer, config.text.max_length, model.encode_text, runtime.device());
      in.text_dim = te.numel() ? te.size(1) : 0;
      in.text_embeddings.assign(te.data_ptr<float>(), te.data_ptr<float>() + te.numel());

      nlohmann::ordered_json run = {{"weights", model.weights.string()},
                                    {"run_dir", model.run_dir.string()},
                                    {"config", model.config_file.string()},
                                    {"dataset", dataset.dir().string()},
                                    {"split", o.split},
                                    {"volumes", indices.size()},
                                    {"protocol", protocol.name},
                                    {"templates", o.templates},
                                    {"window", embed.window},
                                    {"min_inside", o.min_inside},
                                    {"tau", model.tau},
                                    {"vocab", vocab_file.string()},
                                    {"bootstrap_resamples", o.bootstrap},
                                    {"bootstrap_seed", o.seed},
                                    {"threshold_folds", o.threshold_folds},
                                    {"ranks", comm->size()},
                                    {"cagcl_version", CAGCL_VERSION}};
      const auto trained = model.run_dir.empty() ? std::map<std::string, int64_t>{}
                                                 : eval::trained_instances(model.run_dir / "metrics.jsonl",
                                                                           checkpoint_step(model.weights));
      if (!trained.empty()) run["trained_instances"] = trained;
      const eval::EvalReport report = eval::evaluate_zero_shot(in, run);
      eval::ReportOptions ro;
      ro.plots = !o.no_plots;
      // The run's training curves up to the evaluated checkpoint (docs/metrics-log.md), when the run is known.
      if (!o.curves_from.empty()) {
        ro.metrics_log = std::filesystem::path(o.curves_from) / "metrics.jsonl";
      } else if (!model.run_dir.empty() && std::filesystem::is_regular_file(model.run_dir / "metrics.jsonl")) {
        ro.metrics_log = model.run_dir / "metrics.jsonl";
        const int64_t step = checkpoint_step(model.weights);
        ro.max_step = step == INT64_MAX ? -1 : step;
      }
      const auto files = eval::write_report(report, o.out, ro);
      const auto& rb = report.robustness;
      const auto pct = [](double v) { return std::isfinite(v) ? fmt::format("{:.2f}", 100 * v) : std::string("n/a"); };
      std::cout << "macro AUC (" << protocol.name << ", mean of " << rb.families.size()
                << " template families): " << pct(rb.mean_macro_auc) << "\n";
      for (size_t f = 0; f < rb.families.size(); ++f)
        std::cout << "  " << rb.families[f] << ": " << pct(rb.macro_auc[f]) << "\n";
      std::cout << "template SD: " << pct(rb.sd_macro_auc) << "\n";
      std::cout << "collapse index: "
                << (std::isfinite(report.similarity.collapse_index)
                        ? fmt::format("{:.3f}", report.similarity.collapse_index)
                        : std::string("n/a"))
                << "\n";
      print_retrieval(report.retrieval);
      print_trained_instances(trained, manifest.anatomies);
      for (const auto& a : report.anatomies)
        if (a.absent + a.partial > 0)
          std::cout << "  " << a.anatomy << ": " << a.absent << " absent, " << a.partial << " dropped (less than "
                    << o.min_inside * 100 << " % in its window): scored 0\n";
      std::cout << "report: " << std::filesystem::absolute(files.html).string() << "\n";
      if (!files.plots_made) std::cout << "  (no plots: " << files.plot_error << ")\n";
      if (files.training_curves_made)
        std::cout << "training curves: " << std::filesystem::absolute(o.out).string() << "/plots/training_curves.png\n";
      else if (!files.training_curves_error.empty())
        std::cout << "  (no training curves: " << files.training_curves_error << ")\n";
    }
    comm->barrier();
    return 0;
  });
}

}  // namespace

Command add_eval_command(CLI::App& app) {
  auto o = std::make_shared<EvalOptions>();
  auto* cmd = app.add_subcommand("eval",
                                 "zero-shot abnormality detection: metrics, prompt robustness, text "
                                 "collapse, report (docs/evaluation.md)");
  cmd->add_option("--run", o->source.run, "run directory: its latest good checkpoint");
  cmd->add_option("--checkpoint", o->source.checkpoint,
                  "checkpoint step directory, or a model .safetensors file (cagcl export)");
  cmd->add_option("--data", o->data, "dataset directory (default: data.dir of the run's configuration)");
  cmd->add_option("--protocol", o->protocol, "label set: fvlm16 (CT-RATE) or radchest14 (Rad-ChestCT)")
      ->capture_default_str();
  cmd->add_option("--templates", o->templates,
                  "comma-separated: all, built-in families (fvlm, ctclip, there_is, anatomy_shows, findings) "
                  "and/or YAML template files")
      ->capture_default_str();
  cmd->add_option("--out", o->out, "report directory (report.json, report.html, CSVs, plots/)");
  cmd->add_option("--split", o->split, "dataset split to evaluate, or all")->capture_default_str();
  cmd->add_option("--limit", o->limit, "evaluate only the first N volumes of the split (0 = all)");
  cmd->add_option("--vocab", o->vocab,
                  "WordPiece vocab.txt the model was trained with (default: text.vocab, "
                  "else the training dataset's)");
  cmd->add_option("--window", o->window, "evaluation window DxHxW around each anatomy (default: data.crop)");
  cmd->add_option("--min-inside", o->min_inside, "drop an anatomy with less than this fraction inside its window")
      ->capture_default_str();
  cmd->add_option("--bootstrap", o->bootstrap, "bootstrap resamples of the 95 % intervals")->capture_default_str();
  cmd->add_option("--seed", o->seed, "bootstrap seed")->capture_default_str();
  cmd->add_option("--threshold-folds", o->threshold_folds,
                  "patient-disjoint folds of the cross-fitted threshold variant")
      ->capture_default_str();
  cmd->add_option("--similarity-texts", o->similarity_texts,
                  "at most this many distinct anatomy-level report texts in the similarity analysis")
      ->capture_default_str();
  cmd->add_option("--threads", o->threads, "CPU intra-op threads per rank (0 = the node's cores / its ranks)");
  cmd->add_option("--curves-from", o->curves_from,
                  "run directory whose metrics.jsonl gives the report's training curves (default: the evaluated "
                  "run's, up to its checkpoint's step)");
  cmd->add_flag("--no-plots", o->no_plots, "do not run the matplotlib plot scripts");
  cmd->add_flag("--no-verify", o->no_verify, "skip the dataset's shard checksums");
  cmd->add_option("--config", o->source.config,
                  "configuration of a bare .safetensors model (preset or YAML; default: config.yaml next to it)");
  cmd->add_option("--set", o->source.overrides, "override one key, e.g. --set data.hu_min=-1000")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);
  return {cmd, [o] { run_eval(*o); }};
}

}  // namespace cagcl
