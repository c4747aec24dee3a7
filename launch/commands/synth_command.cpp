// `cagcl synth`: writes a synthetic chest-CT phantom dataset (docs/synthetic-phantoms.md).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>
#include <memory>
#include <thread>

#include "common/error.hpp"
#include "common/progress.hpp"
#include "data/compression.hpp"
#include "data/ct_rate/ct_rate_fixture_writer.hpp"
#include "data/dataset_writer.hpp"
#include "data/phantom/phantom.hpp"
#include "data/schema.hpp"
#include "data/vocab_builder.hpp"
#include "launch/commands/command.hpp"
#include "launch/commands/parse_triple.hpp"
#include "launch/commands/synth.hpp"

namespace cagcl {
namespace {

// Listed in the manifest's generator JSON as "vocab".
constexpr const char* kVocabFileName = "vocab.txt";

}  // namespace

void run_synth(const SynthOptions& o) {
  data::phantom::PhantomOptions phantom;
  phantom.size = parse_triple<int64_t>(o.size, 'x', "--size");
  if (!o.spacing.empty()) phantom.spacing = parse_triple<double>(o.spacing, ',', "--spacing");
  phantom.seed = o.seed;
  phantom.valid_fraction = o.valid_fraction;
  if (o.volumes < 1) throw UsageError("--volumes " + std::to_string(o.volumes) + ": must be >= 1");
  if (o.shards < 1 || o.shards > o.volumes)
    throw UsageError("--shards " + std::to_string(o.shards) + ": must be in [1, --volumes]");

  const auto plans = data::phantom::plan_cohort(o.volumes, phantom);
  const int64_t threads =
      o.threads > 0 ? o.threads : std::max<int64_t>(1, static_cast<int64_t>(std::thread::hardware_concurrency()));
  if (o.format == "ct-rate") {
    // The same phantoms in CT-RATE's raw layout (data/ct_rate/ct_rate_fixture_writer.hpp), for
    // `cagcl convert ct-rate`.
    spdlog::info("synth: {} volumes of {} in CT-RATE's raw layout, seed {} -> {}", o.volumes, o.size, o.seed, o.out);
    data::ct_rate::CtRateFixtureWriter fixture(o.out);
    ProgressMeter progress("synth", o.volumes);
    for (int64_t begin = 0; begin < o.volumes; begin += threads) {
      const int64_t end = std::min(o.volumes, begin + threads);
      std::vector<std::future<data::Sample>> rendered;
      for (int64_t i = begin; i < end; ++i)
        rendered.push_back(std::async(std::launch::async, [&, i] { return data::phantom::render(plans[i], phantom); }));
      for (int64_t i = begin; i < end; ++i) {
        fixture.add(rendered[static_cast<size_t>(i - begin)].get(), i);
        progress.advance();
      }
    }
    fixture.finish();
    spdlog::info("synth: wrote {} volumes to {} (dataset/, totalsegmentator/, anatomy_sentences.json) in {}", o.volumes,
                 o.out, format_duration(progress.elapsed_seconds()));
    return;
  }
  if (o.format != "shards") throw UsageError("--format " + o.format + ": expected shards or ct-rate");
  data::ShardLayout layout;
  layout.anatomies = data::default_anatomies();
  layout.labels = data::ct_rate_labels();
  layout.compression = data::best_available_compression();
  nlohmann::json generator = {{"tool", "cagcl synth"},
                              {"version", CAGCL_VERSION},
                              {"seed", o.seed},
                              {"size", phantom.size},
                              {"volumes", o.volumes},
                              {"valid_fraction", o.valid_fraction},
                              {"vocab", kVocabFileName}};
  if (phantom.spacing) generator["spacing"] = *phantom.spacing;
  data::DatasetWriter writer(o.out, layout, o.volumes, o.shards, generator);

  // Scans render independently (each from its own seed), so threads render a window ahead while this
  // thread appends them in index order: the files are identical whatever the thread count.
  spdlog::info("synth: {} volumes of {} in {} shard(s), seed {}, {} compression, {} thread(s) -> {}", o.volumes,
               o.size, o.shards, o.seed, data::to_string(layout.compression), threads, o.out);
  // The WordPiece vocabulary of exactly this corpus (data/vocab_builder.hpp), gathered while appending.
  data::VocabBuilder vocab(layout.anatomies, layout.labels);
  ProgressMeter progress("synth", o.volumes);
  for (int64_t begin = 0; begin < o.volumes; begin += threads) {
    const int64_t end = std::min(o.volumes, begin + threads);
    std::vector<std::future<data::Sample>> rendered;
    for (int64_t i = begin; i < end; ++i)
      rendered.push_back(std::async(std::launch::async, [&, i] { return data::phantom::render(plans[i], phantom); }));
    for (auto& f : rendered) {
      const data::Sample sample = f.get();
      vocab.add_sample(sample);
      writer.append(sample);
      progress.advance();
    }
  }
  // Before dataset.json: a directory with a dataset.json is complete, vocab.txt included.
  vocab.write(std::filesystem::path(o.out) / kVocabFileName);
  const auto manifest = writer.finish();
  spdlog::info("synth: wrote {} samples in {} shard(s) to {} in {}", manifest.num_samples(), manifest.shards.size(),
               o.out, format_duration(progress.elapsed_seconds()));
}

Command add_synth_command(CLI::App& app) {
  auto o = std::make_shared<SynthOptions>();
  auto* cmd = app.add_subcommand("synth", "Write a synthetic chest-CT phantom dataset (dataset.json + HDF5 shards)");
  cmd->add_option("--out", o->out, "dataset directory to create (must not already hold a dataset.json)")->required();
  cmd->add_option("--volumes", o->volumes, "number of CT volumes")->capture_default_str();
  cmd->add_option("--shards", o->shards, "number of HDF5 shard files (--format shards)")->capture_default_str();
  cmd->add_option("--seed", o->seed, "seed; the same seed gives byte-identical shards")->capture_default_str();
  cmd->add_option("--size", o->size, "volume size DxHxW in voxels (D = axial slices)")->capture_default_str();
  cmd->add_option("--spacing", o->spacing,
                  "voxel spacing z,y,x in mm; default: the size covers a 320 x 360 x 360 mm chest field of view");
  cmd->add_option("--valid-fraction", o->valid_fraction, "fraction of patients in the valid split")
      ->capture_default_str();
  cmd->add_option("--threads", o->threads, "render threads; 0 = one per core")->capture_default_str();
  cmd->add_option("--format", o->format,
                  "shards: a dataset (dataset.json + HDF5 shards); ct-rate: the phantoms in CT-RATE's raw layout "
                  "(nii.gz volumes, TotalSegmentator masks, CSVs) for `cagcl convert ct-rate`")
      ->capture_default_str();
  return {cmd, [o] { run_synth(*o); }};
}

}  // namespace cagcl
