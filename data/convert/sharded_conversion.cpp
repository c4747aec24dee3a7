#include "data/convert/sharded_conversion.hpp"

#include <hdf5.h>

#include <algorithm>
#include <map>
#include <new>
#include <optional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/atomic_file.hpp"
#include "common/checksum.hpp"
#include "common/error.hpp"
#include "common/json_file.hpp"
#include "common/progress.hpp"
#include "data/dataset_writer.hpp"
#include "data/hdf5.hpp"
#include "data/schema.hpp"
#include "data/shard_format.hpp"
#include "data/shard_reader.hpp"
#include "data/shard_writer.hpp"
#include "data/vocab_builder.hpp"

namespace cagcl::data::convert {
namespace {

constexpr const char* kPartsDir = ".parts";
constexpr const char* kReportFile = "conversion_report.json";
constexpr const char* kVocabFile = "vocab.txt";

std::filesystem::path parts_dir(const ConversionPlan& plan) { return plan.out / kPartsDir; }
std::string part_stem(int64_t p) { return fmt::format("part-{:05d}", p); }

int64_t num_parts(const ConversionPlan& plan, const std::vector<std::string>& volumes) {
  const int64_t n = static_cast<int64_t>(volumes.size());
  return (n + plan.volumes_per_shard - 1) / plan.volumes_per_shard;
}

std::vector<std::string> part_volumes(const ConversionPlan& plan, const std::vector<std::string>& volumes, int64_t p) {
  const auto begin = volumes.begin() + p * plan.volumes_per_shard;
  const auto end =
      volumes.begin() + std::min<int64_t>(static_cast<int64_t>(volumes.size()), (p + 1) * plan.volumes_per_shard);
  return {begin, end};
}

// A record this conversion wrote earlier; nullopt when it is missing or unreadable (the part is redone).
std::optional<nlohmann::json> read_json(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return std::nullopt;
  try {
    return parse_json_file(path);
  } catch (const Error&) {
    return std::nullopt;
  }
}

// Names as a part record holds them: volume names come from file names, which need not be UTF-8.
std::vector<std::string> as_written(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const auto& name : names) out.push_back(valid_utf8(name));
  return out;
}

// The skipped volumes of a part record or of conversion_report.json. DataError naming `file` and the field
// when an entry is not {"name": string, "reason": string}.
std::vector<SkippedVolume> skipped_of(const nlohmann::json& record, const std::string& file) {
  const auto list = record.is_object() ? record.find("skipped") : record.end();
  if (list == record.end() || !list->is_array()) throw DataError(file + ": field 'skipped': expected a list");
  std::vector<SkippedVolume> out;
  for (size_t i = 0; i < list->size(); ++i) {
    const auto& entry = (*list)[i];
    SkippedVolume v;
    for (auto [key, value] : {std::pair{"name", &v.name}, std::pair{"reason", &v.reason}}) {
      const auto it = entry.is_object() ? entry.find(key) : entry.end();
      if (it == entry.end() || !it->is_string())
        throw DataError(fmt::format("{}: field 'skipped[{}].{}': expected a string", file, i, key));
      *value = it->get<std::string>();
    }
    out.push_back(std::move(v));
  }
  return out;
}

// A part is finished when its JSON matches the plan and its file still has the recorded size and SHA-256.
std::optional<nlohmann::json> finished_part(const ConversionPlan& plan, const std::vector<std::string>& volumes,
                                            int64_t p) {
  const std::filesystem::path dir = parts_dir(plan);
  auto j = read_json(dir / (part_stem(p) + ".json"));
  try {
    if (!j || !j->is_object() || j->value("fingerprint", "") != plan.fingerprint ||
        j->at("volumes").get<std::vector<std::string>>() != as_written(volumes))
      return std::nullopt;
    if (j->at("num_samples").get<int64_t>() > 0) {
      // Only the part's own file: assembly copies it into the dataset.
      if (j->at("file") != part_stem(p) + ".h5") return std::nullopt;
      const std::filesystem::path file = dir / j->at("file").get<std::string>();
      std::error_code ec;
      if (std::filesystem::file_size(file, ec) != j->at("bytes").get<uint64_t>() || ec) return std::nullopt;
      if (sha256_file(file) != j->at("sha256").get<std::string>()) return std::nullopt;
    }
    skipped_of(*j, "part record");  // a record whose list of skipped volumes is damaged is redone too
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  } catch (const Error&) {
    return std::nullopt;
  }
  return j;
}

// Overwrites the root attribute first_index of a closed shard file.
void set_first_index(const std::filesystem::path& file, int64_t first_index) {
  h5::init();
  const h5::Where where{file.string(), std::string("/@") + shard_format::kAttrFirstIndex};
  h5::Handle f(H5Fopen(file.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose);
  if (!f.valid()) h5::fail_io(where, "cannot open for writing");
  h5::Handle attr(H5Aopen(f, shard_format::kAttrFirstIndex, H5P_DEFAULT), H5Aclose);
  if (!attr.valid()) h5::fail_data(where, "missing");
  if (H5Awrite(attr, H5T_NATIVE_INT64, &first_index) < 0) h5::fail_io(where, "write failed");
  attr.close(file.string(), where.member);
  f.close(file.string(), "");
}

}  // namespace

std::string volume_failure_reason(const std::exception& e) {
  if (dynamic_cast<const Error*>(&e) != nullptr) return e.what();
  if (dynamic_cast<const std::bad_alloc*>(&e) != nullptr) return std::string("out of memory (") + e.what() + ")";
  std::string text = e.what();
  text = text.substr(0, std::min(text.find('\n'), size_t{500}));
  return "unexpected error: " + text;
}

namespace {

// The volume's sample, checked against the layout (so that the writer cannot refuse it later), or nullopt when
// its conversion threw and --skip-bad records it as skipped. Without --skip-bad the error names the volume.
std::optional<Sample> convert_or_skip(const ConversionPlan& plan, const std::string& name,
                                      const std::function<Sample(const std::string&)>& convert, PartsReport& report) {
  try {
    Sample sample = convert(name);
    validate_sample<DataError>(sample, plan.layout, fmt::format("volume '{}'", name), true);
    return sample;
  } catch (const std::exception& e) {
    const std::string reason = volume_failure_reason(e);
    if (!plan.skip_bad) throw DataError(fmt::format("volume '{}': {} (--skip-bad skips such volumes)", name, reason));
    spdlog::warn("convert: skipping volume '{}': {}", name, reason);
    report.skipped.push_back({name, reason});
    return std::nullopt;
  }
}

}  // namespace

bool dataset_is_complete(const std::filesystem::path& out, const std::string& fingerprint) {
  const std::filesystem::path manifest = out / kManifestFileName;
  if (!std::filesystem::exists(manifest)) return false;
  const Manifest m = Manifest::load(manifest);
  const auto stored = m.generator.is_object() ? m.generator.find("fingerprint") : m.generator.end();
  if (stored != m.generator.end() && *stored == fingerprint) return true;
  throw UsageError(
      fmt::format("{}: holds a dataset converted from other inputs or options; delete it (or choose "
                  "another --out) to convert again",
                  out.string()));
}

PartsReport convert_parts(const ConversionPlan& plan, const std::vector<std::string>& volumes,
                          const std::function<Sample(const std::string&)>& convert) {
  if (plan.volumes_per_shard < 1) throw UsageError("--volumes-per-shard must be >= 1");
  PartsReport report;
  if (dataset_is_complete(plan.out, plan.fingerprint)) return report;  // a finished run: nothing to redo
  const std::filesystem::path dir = parts_dir(plan);
  std::filesystem::create_directories(dir);
  const int64_t parts = num_parts(plan, volumes);
  std::vector<int64_t> todo;
  int64_t todo_volumes = 0;
  for (int64_t p = plan.rank; p < parts; p += plan.world) {
    ++report.parts_mine;
    if (finished_part(plan, part_volumes(plan, volumes, p), p)) {
      ++report.parts_reused;
      continue;
    }
    todo.push_back(p);
    todo_volumes += static_cast<int64_t>(part_volumes(plan, volumes, p).size());
  }
  spdlog::info("convert: {} of {} part(s) are this rank's; {} already finished and verified, {} volume(s) to convert",
               report.parts_mine, parts, report.parts_reused, todo_volumes);
  ProgressMeter progress("convert", todo_volumes);
  for (int64_t p : todo) {
    const auto names = part_volumes(plan, volumes, p);
    const std::string stem = part_stem(p);
    ShardLayout layout = plan.layout;
    layout.first_index = 0;
    std::optional<ShardWriter> writer;
    nlohmann::json skipped = nlohmann::json::array();
    for (const auto& name : names) {
      // Only the volume's own conversion may be skipped; a failure of the writer (a full disk) stops the run.
      std::optional<Sample> sample = convert_or_skip(plan, name, convert, report);
      if (sample) {
        if (!writer) writer.emplace(dir / (stem + ".h5"), layout);
        writer->append(*sample);
        ++report.converted;
      } else {
        skipped.push_back({{"name", report.skipped.back().name}, {"reason", report.skipped.back().reason}});
      }
      progress.advance();
    }
    nlohmann::json part = {{"fingerprint", plan.fingerprint}, {"volumes", names}, {"skipped", skipped}};
    if (writer) {
      const int64_t n = writer->finish();
      const std::filesystem::path file = dir / (stem + ".h5");
      part["num_samples"] = n;
      part["file"] = stem + ".h5";
      part["bytes"] = std::filesystem::file_size(file);
      part["sha256"] = sha256_file(file);
    } else {
      part["num_samples"] = 0;
    }
    write_file_atomically(dir / (stem + ".json"), dump_json(part, 1) + "\n");
  }
  return report;
}

AssemblyReport assemble_dataset(const ConversionPlan& plan, const std::vector<std::string>& volumes) {
  AssemblyReport report;
  if (dataset_is_complete(plan.out, plan.fingerprint)) {
    report.already_complete = true;
    report.manifest = Manifest::load(plan.out / kManifestFileName);
    if (auto j = read_json(plan.out / kReportFile)) report.skipped = skipped_of(*j, (plan.out / kReportFile).string());
    return report;
  }
  const std::filesystem::path dir = parts_dir(plan);
  const int64_t parts = num_parts(plan, volumes);
  Manifest& m = report.manifest;
  m.schema_version = kSchemaVersion;
  m.anatomies = plan.layout.anatomies;
  m.labels = plan.layout.labels;
  m.compression = to_string(plan.layout.compression);
  m.has_reports = plan.has_reports;
  VocabBuilder vocab(plan.layout.anatomies, plan.layout.labels);
  std::map<std::string, int64_t> per_split;
  int64_t first_index = 0;
  for (int64_t p = 0; p < parts; ++p) {
    const auto part = finished_part(plan, part_volumes(plan, volumes, p), p);
    if (!part) {
      throw DataError(
          fmt::format("{}: part {} is missing or damaged (a rank failed?); rerun the same command to "
                      "convert it",
                      dir.string(), p));
    }
    for (auto& s : skipped_of(*part, part_stem(p) + ".json")) report.skipped.push_back(std::move(s));
    const int64_t n = part->at("num_samples").get<int64_t>();
    if (n == 0) continue;
    const std::string shard = shard_file_name(static_cast<int64_t>(m.shards.size()));
    const std::filesystem::path target = plan.out / shard;
    const std::filesystem::path partial = plan.out / (shard + ".partial");
    std::filesystem::copy_file(dir / part->at("file").get<std::string>(), partial,
                               std::filesystem::copy_options::overwrite_existing);
    set_first_index(partial, first_index);
    fsync_path(partial);
    durable_rename(partial, target);
    ShardEntry e;
    e.file = shard;
    e.first_index = first_index;
    e.num_samples = n;
    e.bytes = std::filesystem::file_size(target);
    e.sha256 = sha256_file(target);
    m.shards.push_back(e);
    first_index += n;
    const ShardReader reader(target);
    for (int64_t i = 0; i < reader.size(); ++i) {
      const Sample s = reader.read_metadata(i);
      vocab.add_sample(s);
      ++per_split[s.split];
    }
  }
  if (m.shards.empty())
    throw DataError(fmt::format("{}: no volume was converted ({} skipped)", plan.out.string(), report.skipped.size()));
  nlohmann::json skipped = nlohmann::json::array();
  for (const auto& s : report.skipped) skipped.push_back({{"name", s.name}, {"reason", s.reason}});
  const nlohmann::json conversion = {
      {"volumes", volumes.size()}, {"converted", first_index}, {"per_split", per_split}, {"skipped", skipped}};
  write_file_atomically(plan.out / kReportFile, dump_json(conversion, 1) + "\n");
  vocab.write(plan.out / kVocabFile);
  m.generator = plan.generator;
  m.generator["fingerprint"] = plan.fingerprint;
  m.generator["vocab"] = kVocabFile;
  m.generator["converted"] = first_index;
  m.generator["skipped"] = report.skipped.size();
  m.save(plan.out / kManifestFileName);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return report;
}

}  // namespace cagcl::data::convert
