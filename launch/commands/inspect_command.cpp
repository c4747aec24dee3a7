// `cagcl inspect`: what a dataset directory or a single shard holds: counts, splits, label prevalence,
// per-anatomy voxel statistics, compression ratio and schema.
#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "common/error.hpp"
#include "common/json_file.hpp"
#include "common/progress.hpp"
#include "data/dataset.hpp"
#include "data/schema.hpp"
#include "data/volume_transforms.hpp"
#include "launch/commands/command.hpp"

namespace cagcl {
namespace {

struct InspectOptions {
  std::string path;
  bool json = false;
  bool no_verify = false;
  int64_t voxel_samples = 0;
};

// Running sums for one anatomy over the inspected volumes.
struct AnatomyStats {
  int64_t present = 0;   // volumes where the anatomy has at least one voxel
  int64_t intact = 0;    // ... and none on a face of the volume: the volume cuts it nowhere
  int64_t normal = 0;    // volumes whose report has no sentence about it
  double voxels = 0;     // total voxels
  double volume_ml = 0;  // total volume
  double hu_sum = 0, hu_sq = 0;
};

// Everything the report needs, accumulated sample by sample from a dataset or a shard.
struct Summary {
  std::vector<std::string> anatomies, labels;
  std::vector<int64_t> positives;
  std::map<std::string, int64_t> splits;
  std::map<std::string, int64_t> scans_per_patient;
  std::map<std::string, std::set<std::string>> patient_splits;
  std::vector<AnatomyStats> anatomy;
  int64_t samples = 0, voxel_samples = 0;
  std::array<int64_t, 3> min_shape{INT64_MAX, INT64_MAX, INT64_MAX}, max_shape{0, 0, 0};
  std::array<double, 3> min_spacing{1e9, 1e9, 1e9}, max_spacing{0, 0, 0};

  void add_metadata(const data::Sample& s) {
    ++samples;
    for (size_t l = 0; l < labels.size() && l < s.labels.size(); ++l) positives[l] += s.labels[l] ? 1 : 0;
    ++splits[s.split];
    ++scans_per_patient[s.patient];
    patient_splits[s.patient].insert(s.split);
    for (size_t a = 0; a < anatomy.size() && a < s.normal.size(); ++a) anatomy[a].normal += s.normal[a] ? 1 : 0;
    for (int i = 0; i < 3; ++i) {
      min_shape[i] = std::min(min_shape[i], s.shape[i]);
      max_shape[i] = std::max(max_shape[i], s.shape[i]);
      min_spacing[i] = std::min(min_spacing[i], s.spacing[i]);
      max_spacing[i] = std::max(max_spacing[i], s.spacing[i]);
    }
  }

  void add_voxels(const data::Sample& s) {
    ++voxel_samples;
    const size_t A = anatomy.size();
    std::vector<int64_t> count(A + 1, 0);
    std::vector<double> sum(A + 1, 0), sq(A + 1, 0);
    for (int64_t i = 0; i < s.voxels(); ++i) {
      const size_t k = s.anatomy[i];
      if (k == 0 || k > A) continue;
      const double hu = s.volume[i];
      ++count[k];
      sum[k] += hu;
      sq[k] += hu * hu;
    }
    const double voxel_ml = s.spacing[0] * s.spacing[1] * s.spacing[2] / 1000.0;
    const auto on_face = data::labels_on_faces(s.anatomy.data(), s.shape);
    for (size_t a = 0; a < A; ++a) {
      auto& st = anatomy[a];
      st.present += count[a + 1] > 0 ? 1 : 0;
      st.intact += count[a + 1] > 0 && !on_face[a + 1] ? 1 : 0;
      st.voxels += count[a + 1];
      st.volume_ml += count[a + 1] * voxel_ml;
      st.hu_sum += sum[a + 1];
      st.hu_sq += sq[a + 1];
    }
  }
};

nlohmann::ordered_json to_json(const Summary& s) {
  nlohmann::ordered_json j;
  j["samples"] = s.samples;
  j["splits"] = s.splits;
  int64_t multi = 0, mixed = 0;
  for (const auto& [patient, n] : s.scans_per_patient) multi += n > 1 ? 1 : 0;
  for (const auto& [patient, splits] : s.patient_splits) mixed += splits.size() > 1 ? 1 : 0;
  j["patients"] = {
      {"count", s.scans_per_patient.size()}, {"with_multiple_scans", multi}, {"in_more_than_one_split", mixed}};
  j["shape"] = {{"min", s.min_shape}, {"max", s.max_shape}};
  j["spacing_mm"] = {{"min", s.min_spacing}, {"max", s.max_spacing}};
  j["anatomies"] = s.anatomies;
  j["labels"] = s.labels;
  auto& prevalence = j["label_prevalence"] = nlohmann::ordered_json::object();
  for (size_t l = 0; l < s.labels.size(); ++l)
    prevalence[s.labels[l]] = {{"positives", s.positives[l]},
                               {"fraction", s.samples ? double(s.positives[l]) / s.samples : 0.0}};
  auto& anat = j["anatomy_stats"] = nlohmann::ordered_json::object();
  anat["volumes_measured"] = s.voxel_samples;
  for (size_t a = 0; a < s.anatomies.size(); ++a) {
    const auto& st = s.anatomy[a];
    const double n = st.voxels > 0 ? st.voxels : 1;
    const double mean = st.hu_sum / n;
    anat[s.anatomies[a]] = {{"normal_fraction", s.samples ? double(st.normal) / s.samples : 0.0},
                            {"present_fraction", s.voxel_samples ? double(st.present) / s.voxel_samples : 0.0},
                            {"intact_fraction", s.voxel_samples ? double(st.intact) / s.voxel_samples : 0.0},
                            {"mean_voxels", s.voxel_samples ? st.voxels / s.voxel_samples : 0.0},
                            {"mean_volume_ml", s.voxel_samples ? st.volume_ml / s.voxel_samples : 0.0},
                            {"hu_mean", mean},
                            {"hu_std", std::sqrt(std::max(0.0, st.hu_sq / n - mean * mean))}};
  }
  return j;
}

Summary make_summary(const data::ShardLayout& layout) {
  Summary s;
  s.anatomies = layout.anatomies;
  s.labels = layout.labels;
  s.positives.assign(s.labels.size(), 0);
  s.anatomy.assign(s.anatomies.size(), {});
  return s;
}

// Reads every sample's metadata and the voxels of the first `voxel_limit` (all when <= 0).
template <typename Source>
void scan(const Source& source, int64_t count, int64_t voxel_limit, Summary& summary) {
  const int64_t with_voxels = voxel_limit > 0 ? std::min(voxel_limit, count) : count;
  ProgressMeter progress("inspect", count);
  for (int64_t i = 0; i < count; ++i) {
    if (i < with_voxels) {
      const data::Sample s = source.read(i);
      summary.add_metadata(s);
      summary.add_voxels(s);
    } else {
      summary.add_metadata(source.read_metadata(i));
    }
    progress.advance();
  }
}

nlohmann::ordered_json storage_json(const std::vector<const data::ShardReader*>& shards) {
  uint64_t raw = 0, stored = 0, bytes = 0;
  for (const auto* shard : shards) {
    const auto st = shard->storage();
    raw += st.raw_bytes;
    stored += st.stored_bytes;
    bytes += std::filesystem::file_size(shard->path());
  }
  return {{"file_bytes", bytes},
          {"voxel_bytes_raw", raw},
          {"voxel_bytes_stored", stored},
          {"compression_ratio", stored ? double(raw) / stored : 0.0}};
}

nlohmann::ordered_json inspect_dataset(const std::filesystem::path& dir, const InspectOptions& o) {
  data::DatasetOptions open_options;
  open_options.verify_checksums = !o.no_verify;
  const auto dataset = data::Dataset::open(dir, open_options);
  const auto& m = dataset.manifest();
  data::ShardLayout layout{m.anatomies, m.labels, data::compression_from_string(m.compression), 0};
  Summary summary = make_summary(layout);
  scan(dataset, dataset.size(), o.voxel_samples, summary);
  nlohmann::ordered_json j;
  j["kind"] = "dataset";
  j["path"] = dir.string();
  j["schema_version"] = m.schema_version;
  j["compression"] = m.compression;
  j["checksums_verified"] = !o.no_verify;
  j["generator"] = m.generator;
  nlohmann::ordered_json shards = nlohmann::ordered_json::array();
  for (const auto& e : m.shards)
    shards.push_back(
        {{"file", e.file}, {"samples", e.num_samples}, {"first_index", e.first_index}, {"bytes", e.bytes}});
  j["shards"] = shards;
  std::vector<const data::ShardReader*> readers;
  for (const auto& r : dataset.shards()) readers.push_back(&r);
  j["storage"] = storage_json(readers);
  j.update(to_json(summary));
  return j;
}

nlohmann::ordered_json inspect_shard(const std::filesystem::path& file, const InspectOptions& o) {
  const data::ShardReader reader(file);
  Summary summary = make_summary(reader.layout());
  scan(reader, reader.size(), o.voxel_samples, summary);
  nlohmann::ordered_json j;
  j["kind"] = "shard";
  j["path"] = file.string();
  j["schema_version"] = data::kSchemaVersion;
  j["compression"] = data::to_string(reader.layout().compression);
  j["first_index"] = reader.layout().first_index;
  j["storage"] = storage_json({&reader});
  j.update(to_json(summary));
  return j;
}

std::string mb(double bytes) { return fmt::format("{:.1f} MB", bytes / 1e6); }

void print_text(const nlohmann::ordered_json& j) {
  std::cout << fmt::format("{} {}\n", j["kind"].get<std::string>(), j["path"].get<std::string>());
  std::cout << fmt::format("  schema version {}, compression {}, {} samples", j["schema_version"].get<int>(),
                           j["compression"].get<std::string>(), j["samples"].get<int64_t>());
  if (j.contains("shards")) std::cout << fmt::format(" in {} shard(s)", j["shards"].size());
  std::cout << "\n";
  std::cout << "  splits:";
  for (const auto& [split, n] : j["splits"].items()) std::cout << fmt::format(" {}={}", split, n.get<int64_t>());
  const auto& p = j["patients"];
  std::cout << fmt::format("; patients {} ({} with >1 scan, {} in >1 split)\n", p["count"].get<int64_t>(),
                           p["with_multiple_scans"].get<int64_t>(), p["in_more_than_one_split"].get<int64_t>());
  std::cout << fmt::format("  shape D,H,W {} .. {}; spacing z,y,x mm {} .. {}\n", j["shape"]["min"].dump(),
                           j["shape"]["max"].dump(), j["spacing_mm"]["min"].dump(), j["spacing_mm"]["max"].dump());
  const auto& st = j["storage"];
  std::cout << fmt::format("  storage {} on disk; voxels {} raw -> {} stored, ratio {:.2f}x\n",
                           mb(st["file_bytes"].get<double>()), mb(st["voxel_bytes_raw"].get<double>()),
                           mb(st["voxel_bytes_stored"].get<double>()), st["compression_ratio"].get<double>());
  std::cout << "  label prevalence:\n";
  for (const auto& [label, v] : j["label_prevalence"].items())
    std::cout << fmt::format("    {:<36} {:>6} {:>6.1f}%\n", label, v["positives"].get<int64_t>(),
                             100 * v["fraction"].get<double>());
  std::cout << fmt::format("  anatomies (voxel statistics over {} volume(s)):\n",
                           j["anatomy_stats"]["volumes_measured"].get<int64_t>());
  std::cout << fmt::format("    {:<12} {:>8} {:>8} {:>8} {:>12} {:>10} {:>9} {:>8}\n", "anatomy", "present", "intact",
                           "normal", "mean voxels", "mean ml", "HU mean", "HU sd");
  for (const auto& a : j["anatomies"]) {
    const auto& v = j["anatomy_stats"][a.get<std::string>()];
    std::cout << fmt::format("    {:<12} {:>7.0f}% {:>7.0f}% {:>7.0f}% {:>12.0f} {:>10.1f} {:>9.1f} {:>8.1f}\n",
                             a.get<std::string>(), 100 * v["present_fraction"].get<double>(),
                             100 * v["intact_fraction"].get<double>(), 100 * v["normal_fraction"].get<double>(),
                             v["mean_voxels"].get<double>(), v["mean_volume_ml"].get<double>(),
                             v["hu_mean"].get<double>(), v["hu_std"].get<double>());
  }
}

void run_inspect(const InspectOptions& o) {
  const std::filesystem::path path(o.path);
  nlohmann::ordered_json report;
  if (std::filesystem::is_directory(path)) {
    if (!std::filesystem::exists(path / data::kManifestFileName))
      throw DataError(path.string() + ": not a dataset (no " + data::kManifestFileName + ")");
    report = inspect_dataset(path, o);
  } else if (std::filesystem::is_regular_file(path)) {
    report = inspect_shard(path, o);
  } else {
    throw UsageError("inspect: '" + o.path + "' is neither a dataset directory nor a shard file");
  }
  if (o.json) {
    std::cout << dump_json(report, 2) << "\n";
  } else {
    print_text(report);
  }
}

}  // namespace

Command add_inspect_command(CLI::App& app) {
  auto o = std::make_shared<InspectOptions>();
  auto* cmd = app.add_subcommand("inspect", "Summarise a dataset directory or one HDF5 shard");
  cmd->add_option("path", o->path, "dataset directory (with dataset.json) or shard file (.h5)")->required();
  cmd->add_flag("--json", o->json, "print the summary as JSON on stdout");
  cmd->add_flag("--no-verify", o->no_verify, "skip the SHA-256 check of every shard against dataset.json");
  cmd->add_option("--voxel-samples", o->voxel_samples,
                  "compute voxel statistics on the first N volumes only (0 = all); labels always use all")
      ->capture_default_str();
  return {cmd, [o] { run_inspect(*o); }};
}

}  // namespace cagcl
