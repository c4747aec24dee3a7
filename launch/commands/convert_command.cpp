// `cagcl convert ct-rate|rad-chestct`: public datasets -> a cagcl dataset directory (docs/converting.md).
// Under mpirun every rank converts its share of the volumes; rank 0 assembles the dataset at the end.
#include <torch/torch.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

#include "comm/make_communicator.hpp"
#include "common/checksum.hpp"
#include "common/error.hpp"
#include "common/installed_files.hpp"
#include "common/progress.hpp"
#include "data/compression.hpp"
#include "data/convert/anatomy_lexicon.hpp"
#include "data/convert/anatomy_mapping.hpp"
#include "data/convert/sharded_conversion.hpp"
#include "data/convert/supplied_anatomy_sentences.hpp"
#include "data/ct_rate/ct_rate_inputs.hpp"
#include "data/ct_rate/ct_rate_volume_converter.hpp"
#include "data/rad_chestct/rad_chestct_inputs.hpp"
#include "data/rad_chestct/rad_chestct_label_map.hpp"
#include "data/rad_chestct/rad_chestct_volume_converter.hpp"
#include "data/schema.hpp"
#include "data/volume_transforms.hpp"
#include "launch/commands/command.hpp"
#include "launch/commands/parse_triple.hpp"
#include "launch/runtime.hpp"

namespace cagcl {
namespace {

// Default of a flag naming one of the installed configs/ files: its path when found (so that --help shows the
// file used), else empty, and resolve_config() names the paths searched when the command runs.
std::string default_config(const std::string& name) {
  const auto found = find_data_file("configs/" + name);
  return found ? found->string() : std::string();
}

void resolve_config(std::string& path, const std::string& name, const std::string& flag) {
  if (path.empty()) path = require_data_file("configs/" + name, flag).string();
}

const char* const kMappingFile = "totalsegmentator_v2.yaml";
const char* const kLexiconFile = "anatomy_lexicon.yaml";
const char* const kLabelMapFile = "rad_chestct_labels.yaml";

struct CommonConvertOptions {
  std::string out;
  int64_t limit = 0;
  int64_t volumes_per_shard = 64;
  bool skip_bad = false;
  std::string compression;
};

struct CtRateOptions {
  CommonConvertOptions common;
  std::string root;
  std::string masks;
  std::string mapping = default_config(kMappingFile);
  std::string lexicon = default_config(kLexiconFile);
  std::string anatomy_sentences;
  std::string anatomy_conclusions;
  std::string spacing = "3,1,1";
  std::string margin = "5,20,20";
  std::string geometry = "metadata";
};

struct RadChestCtOptions {
  CommonConvertOptions common;
  std::string root;
  std::string labels;
  std::string masks;
  std::string export_nifti;
  std::string mapping = default_config(kMappingFile);
  std::string label_map = default_config(kLabelMapFile);
  std::string source_spacing = "0.8,0.8,0.8";
  std::string spacing = "3,1,1";
  std::string margin = "5,20,20";
};

CLI::Option* add_common_options(CLI::App* cmd, CommonConvertOptions& o) {
  auto* out = cmd->add_option("--out", o.out, "dataset directory to write (dataset.json + shards); a rerun resumes it");
  cmd->add_option("--limit", o.limit, "convert only the first N volumes (sorted by name); 0 = all")
      ->capture_default_str();
  cmd->add_option("--volumes-per-shard", o.volumes_per_shard, "volumes per shard (the unit of work and of resuming)")
      ->capture_default_str();
  cmd->add_flag("--skip-bad", o.skip_bad,
                "skip a volume whose inputs are bad (missing CSV row or mask, corrupt file, absurd spacing, ...) "
                "and list it in the summary; without it the first bad volume ends the run");
  cmd->add_option("--compression", o.compression, "lz4 or deflate+shuffle; default: lz4 when the HDF5 plugin loads");
  return out;
}

std::array<double, 3> parse_spacing(const std::string& text, const std::string& flag) {
  const auto spacing = parse_triple<double>(text, ',', flag);
  for (double s : spacing)
    if (!(s > 0 && s <= 20)) throw UsageError(flag + " " + text + ": each value must be in (0, 20] mm");
  return spacing;
}

std::array<int64_t, 3> parse_margin(const std::string& text) {
  const auto margin = parse_triple<int64_t>(text, ',', "--margin");
  for (int64_t m : margin)
    if (m < 0) throw UsageError("--margin " + text + ": must be >= 0");
  return margin;
}

// The first --limit volumes of the sorted list (all for 0). Checked before MPI starts, like every flag.
std::vector<std::string> first_volumes(std::vector<std::string> volumes, int64_t limit) {
  if (limit < 0) throw UsageError("--limit must be >= 0");
  if (limit > 0 && static_cast<int64_t>(volumes.size()) > limit) volumes.resize(static_cast<size_t>(limit));
  return volumes;
}

// Adds one converted volume to `counts` ([0] volumes, [1 + a] volumes in which anatomy a is present and touches
// no face of the volume).
void count_intact(const data::Sample& sample, torch::Tensor& counts) {
  // The training rule applied to the whole volume as its own crop: present and on none of its faces.
  const auto intact = data::intact_flags(sample.anatomy.data(), sample.shape, counts.size(0) - 1);
  auto* c = counts.data_ptr<double>();
  c[0] += 1;
  for (size_t a = 0; a < intact.size(); ++a) c[a + 1] += intact[a];
}

void log_intact_rates(const std::vector<std::string>& anatomies, const torch::Tensor& counts) {
  const auto* c = counts.data_ptr<double>();
  if (c[0] == 0) return;
  std::string rates;
  for (size_t a = 0; a < anatomies.size(); ++a)
    rates += fmt::format("{}{} {:.1f} %", a ? ", " : "", anatomies[a], 100 * c[a + 1] / c[0]);
  spdlog::info(
      "convert: intact rate per anatomy over the {} volume(s) converted in this run: {} (an organ the "
      "scan cuts at a face is never intact in training; `cagcl inspect` gives the rate of a whole dataset)",
      static_cast<int64_t>(c[0]), rates);
}

// Runs this rank's parts, waits for every rank, and on rank 0 assembles the dataset and logs the summary.
// `volumes` sorted, --limit applied.
void run_sharded(const Runtime& runtime, data::convert::ConversionPlan plan, const std::vector<std::string>& volumes,
                 const CommonConvertOptions& o, const std::function<data::Sample(const std::string&)>& convert) {
  plan.fingerprint =
      sha256_hex(plan.fingerprint.data(), plan.fingerprint.size()) + "-" + std::to_string(volumes.size());
  plan.rank = runtime.rank();
  plan.world = runtime.world_size();
  plan.skip_bad = o.skip_bad;
  plan.volumes_per_shard = o.volumes_per_shard;
  if (data::convert::dataset_is_complete(plan.out, plan.fingerprint)) {
    spdlog::info("convert: {} is already complete (same inputs and options); nothing to do", plan.out.string());
    return;
  }
  // Intact counts per anatomy of the volumes this run converts ([0] = volumes): real scans cut organs at
  // their faces, and such an organ never enters a training loss.
  auto intact = torch::zeros({static_cast<int64_t>(plan.layout.anatomies.size()) + 1}, torch::kDouble);
  const auto counting = [&](const std::string& name) {
    data::Sample sample = convert(name);
    count_intact(sample, intact);
    return sample;
  };
  const auto parts = data::convert::convert_parts(plan, volumes, counting);
  CommOptions comm_options;
  comm_options.failure_timeout_s = 30.0 * 24 * 3600;  // ranks wait here for the slowest one, however long
  const auto comm = make_communicator(torch::kCPU, comm_options);
  comm->all_reduce(intact);
  if (runtime.rank() != 0) return;
  log_intact_rates(plan.layout.anatomies, intact);
  const auto assembled = data::convert::assemble_dataset(plan, volumes);
  const auto& m = assembled.manifest;
  spdlog::info("convert: {} of {} volume(s) converted into {} shard(s) in {}; {} skipped", m.num_samples(),
               volumes.size(), m.shards.size(), plan.out.string(), assembled.skipped.size());
  for (const auto& s : assembled.skipped) spdlog::warn("convert: skipped '{}': {}", s.name, s.reason);
  if (!assembled.skipped.empty())
    spdlog::warn("convert: the skipped volumes and reasons are listed in {}/conversion_report.json", plan.out.string());
}

void run_ct_rate(CtRateOptions o) {
  resolve_config(o.mapping, kMappingFile, "--mapping");
  if (o.anatomy_sentences.empty()) resolve_config(o.lexicon, kLexiconFile, "--lexicon");
  const auto mapping = data::convert::AnatomyMapping::load(o.mapping);
  data::ct_rate::VolumeConvertOptions volume;
  volume.spacing = parse_spacing(o.spacing, "--spacing");
  volume.margin = parse_margin(o.margin);
  if (o.geometry == "metadata") {
    volume.geometry = data::ct_rate::GeometrySource::metadata;
  } else if (o.geometry == "header") {
    volume.geometry = data::ct_rate::GeometrySource::header;
  } else {
    throw UsageError("--geometry " + o.geometry + ": expected metadata or header");
  }
  if (o.anatomy_sentences.empty() && !o.anatomy_conclusions.empty())
    throw UsageError("--anatomy-conclusions needs --anatomy-sentences");

  std::optional<data::convert::SuppliedAnatomySentences> supplied;
  std::optional<data::convert::AnatomyLexicon> lexicon;
  data::ct_rate::SentenceSource sentences;
  std::string text_source;
  if (!o.anatomy_sentences.empty()) {
    supplied = data::convert::SuppliedAnatomySentences::load(
        o.anatomy_sentences,
        o.anatomy_conclusions.empty() ? std::nullopt : std::optional<std::filesystem::path>(o.anatomy_conclusions));
    sentences.supplied = &*supplied;
    text_source = "supplied:" + sha256_file(o.anatomy_sentences) +
                  (o.anatomy_conclusions.empty() ? "" : "+" + sha256_file(o.anatomy_conclusions));
  } else {
    lexicon = data::convert::AnatomyLexicon::load(o.lexicon);
    sentences.lexicon = &*lexicon;
    text_source = "lexicon:" + sha256_file(o.lexicon);
  }

  const auto inputs = data::ct_rate::CtRateInputs::discover(o.root, o.masks);
  const auto volumes = first_volumes(inputs.volume_names(), o.common.limit);
  const data::ct_rate::CtRateVolumeConverter converter(inputs, mapping, sentences, volume);

  data::convert::ConversionPlan plan;
  plan.out = o.common.out;
  plan.layout.anatomies = mapping.anatomies;
  plan.layout.labels = data::ct_rate_labels();
  plan.layout.compression = o.common.compression.empty() ? data::best_available_compression()
                                                         : data::compression_from_string(o.common.compression);
  // Everything that changes a converted sample or the shard layout: parts made with another value are redone.
  plan.fingerprint =
      fmt::format("ct-rate|{}|{}|{}|{}|{}|{}|{}|{}|{}", std::filesystem::absolute(o.root).string(),
                  std::filesystem::absolute(o.masks).string(), sha256_file(o.mapping), text_source, o.spacing, o.margin,
                  o.geometry, o.common.volumes_per_shard, data::to_string(plan.layout.compression));
  plan.generator = {{"tool", "cagcl convert ct-rate"},
                    {"version", CAGCL_VERSION},
                    {"root", o.root},
                    {"masks", o.masks},
                    {"mapping", o.mapping},
                    {"sentences", o.anatomy_sentences.empty() ? "lexicon " + o.lexicon : o.anatomy_sentences},
                    {"spacing", volume.spacing},
                    {"margin", volume.margin},
                    {"geometry", o.geometry}};
  // MPI starts only once every flag and input file checked out: before it, a bad one is a plain exit code
  // naming it; after it, an escaping error aborts every rank.
  Runtime runtime(nullptr, nullptr, RuntimeOptions{1, false});
  spdlog::info("convert ct-rate: {} volume(s) under {}, masks {}, rank {}/{}", inputs.volumes.size(), o.root, o.masks,
               runtime.rank(), runtime.world_size());
  runtime.run_or_abort([&] {
    run_sharded(runtime, plan, volumes, o.common, [&](const std::string& name) { return converter.convert(name); });
    return 0;
  });
}

// `--export-nifti`: each rank writes its share (volume i goes to rank i % world) of the volumes as NIfTI for
// TotalSegmentator. A file already there was written atomically, so it is complete and is kept.
void export_rad_chestct_nifti(const Runtime& runtime, const data::rad_chestct::RadChestCtVolumeConverter& converter,
                              const std::vector<std::string>& volumes, const RadChestCtOptions& o) {
  const std::filesystem::path out = o.export_nifti;
  std::filesystem::create_directories(out);
  std::vector<std::string> mine;
  for (size_t i = 0; i < volumes.size(); ++i)
    if (static_cast<int>(i % static_cast<size_t>(runtime.world_size())) == runtime.rank()) mine.push_back(volumes[i]);
  ProgressMeter progress("export-nifti", static_cast<int64_t>(mine.size()));
  int64_t written = 0, kept = 0;
  std::vector<std::pair<std::string, std::string>> skipped;
  for (const auto& name : mine) {
    progress.advance();
    if (std::filesystem::exists(out / (name + ".nii.gz"))) {
      ++kept;
      continue;
    }
    // Whatever reading the volume throws is the volume's failure (as in convert_parts); the write's (a full
    // disk) always stops the run.
    std::optional<data::rad_chestct::RadChestCtVolumeConverter::NiftiVolume> volume;
    try {
      volume = converter.nifti_volume(name);
    } catch (const std::exception& e) {
      const std::string reason = data::convert::volume_failure_reason(e);
      if (!o.common.skip_bad)
        throw DataError(fmt::format("volume '{}': {} (--skip-bad skips such volumes)", name, reason));
      spdlog::warn("export-nifti: skipped '{}': {}", name, reason);
      skipped.emplace_back(name, reason);
      continue;
    }
    data::nifti::write_nifti(out / (name + ".nii.gz"), volume->spec, volume->voxels.data());
    ++written;
  }
  spdlog::info("export-nifti: rank {} wrote {} volume(s) to {}, kept {} already there, skipped {}", runtime.rank(),
               written, out.string(), kept, skipped.size());
}

// What the conversion writes and what identifies it (parts made with another fingerprint are redone).
data::convert::ConversionPlan rad_chestct_plan(const RadChestCtOptions& o, const data::convert::AnatomyMapping& mapping,
                                               const data::rad_chestct::LabelMap& label_map,
                                               const data::rad_chestct::VolumeConvertOptions& volume) {
  const std::string labels_dir = o.labels.empty() ? o.root : o.labels;
  data::convert::ConversionPlan plan;
  plan.out = o.common.out;
  plan.layout.anatomies = mapping.anatomies;
  plan.layout.labels = label_map.names();
  plan.layout.compression = o.common.compression.empty() ? data::best_available_compression()
                                                         : data::compression_from_string(o.common.compression);
  plan.has_reports = false;
  plan.fingerprint =
      fmt::format("rad-chestct|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}", std::filesystem::absolute(o.root).string(),
                  std::filesystem::absolute(labels_dir).string(), std::filesystem::absolute(o.masks).string(),
                  sha256_file(o.mapping), sha256_file(o.label_map), o.source_spacing, o.spacing, o.margin,
                  o.common.volumes_per_shard, data::to_string(plan.layout.compression));
  plan.generator = {{"tool", "cagcl convert rad-chestct"},
                    {"version", CAGCL_VERSION},
                    {"root", o.root},
                    {"labels", labels_dir},
                    {"masks", o.masks},
                    {"mapping", o.mapping},
                    {"label_map", o.label_map},
                    {"source_spacing", volume.source_spacing},
                    {"spacing", volume.spacing},
                    {"margin", volume.margin}};
  return plan;
}

void run_rad_chestct(RadChestCtOptions o) {
  const bool exporting = !o.export_nifti.empty();
  if (!exporting && (o.masks.empty() || o.common.out.empty()))
    throw UsageError(
        "convert rad-chestct: give --masks and --out (or --export-nifti DIR to write NIfTI for TotalSegmentator)");
  if (exporting && !o.common.out.empty())
    throw UsageError(
        "convert rad-chestct: --export-nifti writes NIfTI only; run again with --masks and --out to convert");
  resolve_config(o.mapping, kMappingFile, "--mapping");
  resolve_config(o.label_map, kLabelMapFile, "--label-map");
  const auto mapping = data::convert::AnatomyMapping::load(o.mapping);
  const auto label_map = data::rad_chestct::LabelMap::load(o.label_map);
  data::rad_chestct::VolumeConvertOptions volume;
  volume.source_spacing = parse_spacing(o.source_spacing, "--source-spacing");
  volume.spacing = parse_spacing(o.spacing, "--spacing");
  volume.margin = parse_margin(o.margin);
  const std::string labels_dir = o.labels.empty() ? o.root : o.labels;
  const auto inputs = data::rad_chestct::RadChestCtInputs::discover(o.root, labels_dir, exporting ? "" : o.masks);
  const auto volumes = first_volumes(inputs.volume_names(), o.common.limit);
  const data::rad_chestct::RadChestCtVolumeConverter converter(inputs, mapping, label_map, volume);
  // Built (flags such as --compression checked) before MPI starts, as for CT-RATE; export needs none.
  std::optional<data::convert::ConversionPlan> plan;
  if (!exporting) plan = rad_chestct_plan(o, mapping, label_map, volume);

  Runtime runtime(nullptr, nullptr, RuntimeOptions{1, false});
  spdlog::info("convert rad-chestct: {} volume(s) under {}, rank {}/{}", inputs.volumes.size(), o.root, runtime.rank(),
               runtime.world_size());
  runtime.run_or_abort([&] {
    if (exporting) {
      export_rad_chestct_nifti(runtime, converter, volumes, o);
    } else {
      run_sharded(runtime, *plan, volumes, o.common, [&](const std::string& name) { return converter.convert(name); });
    }
    return 0;
  });
}

}  // namespace

Command add_convert_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("convert", "Convert a public CT dataset into a cagcl dataset (runs under mpirun too)");
  cmd->require_subcommand(1);

  auto ct = std::make_shared<CtRateOptions>();
  auto* c = cmd->add_subcommand("ct-rate", "CT-RATE (nii.gz volumes + CSVs) with TotalSegmentator v2 masks");
  c->add_option("--root", ct->root,
                "CT-RATE's dataset folder: train/, valid/, metadata/, radiology_text_reports/, "
                "multi_abnormality_labels/")
      ->required();
  c->add_option("--masks", ct->masks,
                "folder of TotalSegmentator v2 label maps, one <volume>.nii.gz per volume, "
                "in any sub-folder")
      ->required();
  add_common_options(c, ct->common)->required();
  c->add_option("--mapping", ct->mapping,
                "YAML: anatomies and the segmentation classes merged into each (default: "
                "cagcl's configs/totalsegmentator_v2.yaml; installed: PREFIX/share/cagcl/configs/)")
      ->capture_default_str();
  c->add_option("--anatomy-sentences", ct->anatomy_sentences,
                "JSON of per-anatomy sentences (fVLM's per-organ layout); default: the rule-based splitter");
  c->add_option("--anatomy-conclusions", ct->anatomy_conclusions,
                "JSON of per-anatomy conclusion sentences in the same layout (fVLM keeps them apart)");
  c->add_option("--lexicon", ct->lexicon,
                "YAML keyword lexicon of the rule-based splitter (default: "
                "cagcl's configs/anatomy_lexicon.yaml)")
      ->capture_default_str();
  c->add_option("--spacing", ct->spacing, "target voxel spacing z,y,x in mm")->capture_default_str();
  c->add_option("--margin", ct->margin, "voxels kept around the anatomies' box, d,h,w")->capture_default_str();
  c->add_option("--geometry", ct->geometry,
                "metadata: orientation and spacing from the metadata CSV (CT-RATE's NIfTI headers are not "
                "reliable); header: from the NIfTI sform/qform")
      ->capture_default_str();

  auto rad = std::make_shared<RadChestCtOptions>();
  auto* r = cmd->add_subcommand("rad-chestct",
                                "Rad-ChestCT (.npz volumes + abnormality*location label CSVs) with "
                                "TotalSegmentator v2 masks, for the radchest14 evaluation");
  r->add_option("--root", rad->root, "folder holding the volumes <name>.npz (any sub-folder)")->required();
  r->add_option("--labels", rad->labels,
                "folder holding img{train,valid,test}_Abnormality_and_Location_Labels.csv "
                "(any sub-folder); default: --root");
  r->add_option("--masks", rad->masks,
                "folder of TotalSegmentator v2 label maps, one <name>.nii.gz per volume, "
                "made from the --export-nifti files");
  r->add_option("--export-nifti", rad->export_nifti,
                "write each volume as DIR/<name>.nii.gz (int16 HU, with its affine) to run TotalSegmentator on, "
                "and stop; no --masks or --out");
  add_common_options(r, rad->common);
  r->add_option("--mapping", rad->mapping,
                "YAML: anatomies and the segmentation classes merged into each (default: "
                "cagcl's configs/totalsegmentator_v2.yaml; installed: PREFIX/share/cagcl/configs/)")
      ->capture_default_str();
  r->add_option("--label-map", rad->label_map,
                "YAML: the dataset's labels and the Rad-ChestCT abnormalities merged "
                "into each (default: cagcl's configs/rad_chestct_labels.yaml)")
      ->capture_default_str();
  r->add_option("--source-spacing", rad->source_spacing,
                "voxel spacing z,y,x in mm of the .npz volumes (the release "
                "resampled them to 0.8 mm)")
      ->capture_default_str();
  r->add_option("--spacing", rad->spacing, "target voxel spacing z,y,x in mm")->capture_default_str();
  r->add_option("--margin", rad->margin, "voxels kept around the anatomies' box, d,h,w")->capture_default_str();

  return {cmd, [ct, c, rad, r] {
            if (c->parsed()) run_ct_rate(*ct);
            if (r->parsed()) run_rad_chestct(*rad);
          }};
}

}  // namespace cagcl
