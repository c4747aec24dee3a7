// `cagcl synth`: writes a synthetic chest-CT phantom dataset (docs/synthetic-phantoms.md).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <thread>

#include "common/error.hpp"
#include "common/progress.hpp"
#include "data/compression.hpp"
#include "data/ct_rate/ct_rate_fixture_writer.hpp"
#include "data/dataset_writer.hpp"
#include "data/phantom/phantom.hpp"
#include "data/rad_chestct/rad_chestct_fixture_writer.hpp"
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
  phantom.test_fraction = o.test_fraction;
  if (o.format == "ct-rate" && o.test_fraction > 0)
    throw UsageError("--test-fraction: CT-RATE's layout has only train and valid; use --format shards or rad-chestct");
  if (o.volumes < 1) throw UsageError("--volumes " + std::to_string(o.volumes) + ": must be >= 1");
  if (o.shards < 1 || o.shards > o.volumes)
    throw UsageError("--shards " + std::to_string(o.shards) + ": must be in [1, --volumes]");

  const auto plans = data::phantom::plan_cohort(o.volumes, phantom);
  const int64_t threads =
      o.threads > 0 ? o.threads : std::max<int64_t>(1, static_cast<int64_t>(std::thread::hardware_concurrency()));
  if (o.format == "ct-rate" || o.format == "rad-chestct") {
    // The same phantoms in a public dataset's raw layout, for `cagcl convert ct-rate|rad-chestct`
    // (data/ct_rate/ct_rate_fixture_writer.hpp, data/rad_chestct/rad_chestct_fixture_writer.hpp).
    const bool ct_rate = o.format == "ct-rate";
    spdlog::info("synth: {} volumes of {} in {}'s raw layout, seed {} -> {}", o.volumes, o.size,
                 ct_rate ? "CT-RATE" : "Rad-ChestCT", o.seed, o.out);
    std::optional<data::ct_rate::CtRateFixtureWriter> ct_rate_fixture;
    std::optional<data::rad_chestct::RadChestCtFixtureWriter> rad_chestct_fixture;
    std::function<void(const data::Sample&, int64_t)> add;
    std::function<void()> finish;
    if (ct_rate) {
      ct_rate_fixture.emplace(o.out);
      add = [&](const data::Sample& s, int64_t i) { ct_rate_fixture->add(s, i); };
      finish = [&] { ct_rate_fixture->finish(); };
    } else {
      rad_chestct_fixture.emplace(o.out);
      add = [&](const data::Sample& s, int64_t i) { rad_chestct_fixture->add(s, i); };
      finish = [&] { rad_chestct_fixture->finish(); };
    }
    std::array<double, 3> spacing{};
    ProgressMeter progress("synth", o.volumes);
    for (int64_t begin = 0; begin < o.volumes; begin += threads) {
      const int64_t end = std::min(o.volumes, begin + threads);
      std::vector<std::future<data::Sample>> rendered;
      for (int64_t i = begin; i < end; ++i)
        rendered.push_back(std::async(std::launch::async, [&, i] { return data::phantom::render(plans[i], phantom); }));
      for (int64_t i = begin; i < end; ++i) {
        const data::Sample sample = rendered[static_cast<size_t>(i - begin)].get();
        spacing = sample.spacing;
        add(sample, i);
        progress.advance();
      }
    }
    finish();
    spdlog::info("synth: wrote {} volumes to {} ({}) in {}", o.volumes, o.out,
                 ct_rate ? "dataset/, totalsegmentator/, anatomy_sentences.json"
                         : "volumes/: .npz volumes and label CSVs; totalsegmentator/",
                 format_duration(progress.elapsed_seconds()));
    if (!ct_rate) {
      spdlog::info("synth: the volumes' spacing is {},{},{} mm (z,y,x): convert them with --source-spacing {},{},{}",
                   spacing[0], spacing[1], spacing[2], spacing[0], spacing[1], spacing[2]);
    }
    return;
  }
  if (o.format != "shards") throw UsageError("--format " + o.format + ": expected shards, ct-rate or rad-chestct");
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
                              {"test_fraction", o.test_fraction},
                              {"vocab", kVocabFileName}};
  if (phantom.spacing) generator["spacing"] = *phantom.spacing;
  data::DatasetWriter writer(o.out, layout, o.volumes, o.shards, generator);

  // Scans render independently (each from its own seed), so threads render a window ahead while this
  // thread appends them in index order: the files are identical whatever the thread count.
  spdlog::info("synth: {} volumes of {} in {} shard(s), seed {}, {} compression, {} thread(s) -> {}", o.volumes, o.size,
               o.shards, o.seed, data::to_string(layout.compression), threads, o.out);
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
  cmd->add_option("--test-fraction", o->test_fraction,
                  "fraction of patients in the held-out test split (taken from the non-valid patients)")
      ->capture_default_str();
  cmd->add_option("--threads", o->threads, "render threads; 0 = one per core")->capture_default_str();
  cmd->add_option(
         "--format", o->format,
         "shards: a dataset (dataset.json + HDF5 shards); ct-rate: the phantoms in CT-RATE's raw layout "
         "(nii.gz volumes, TotalSegmentator masks, CSVs) for `cagcl convert ct-rate`; rad-chestct: in Rad-ChestCT's "
         "layout (.npz volumes, label CSVs, TotalSegmentator masks) for `cagcl convert rad-chestct`")
      ->capture_default_str();
  return {cmd, [o] { run_synth(*o); }};
}

}  // namespace cagcl
