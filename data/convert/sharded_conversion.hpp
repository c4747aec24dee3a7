#pragma once
// Converting many volumes into one dataset directory, on many ranks, resumably (docs/converting.md,
// "Ranks, resuming, skipped volumes").
//
// The sorted volume list is cut into parts of `volumes_per_shard` consecutive volumes; part p belongs to rank
// p % world. A rank writes part p to OUT/.parts/part-PPPPP.h5 (a shard with first_index 0; ShardWriter makes
// it under a .partial name) and then, atomically, part-PPPPP.json: the volumes, the samples written, the
// skipped volumes with their reasons, the options fingerprint, the file's size and SHA-256. A part whose JSON
// matches the current volumes and fingerprint and whose file still has that checksum is finished and is
// skipped on a rerun. When every part is finished, rank 0 assembles: the non-empty parts become
// shard-00000.h5, ... (copied, with their first_index set), then vocab.txt, conversion_report.json and
// dataset.json, written last, then OUT/.parts is removed.
#include <cstdint>
#include <exception>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/manifest.hpp"
#include "data/sample.hpp"
#include "data/shard_layout.hpp"

namespace cagcl::data::convert {

struct ConversionPlan {
  std::filesystem::path out;
  ShardLayout layout;
  int64_t volumes_per_shard = 64;
  bool skip_bad = false;
  std::string fingerprint;  // identity of the inputs' options; parts made with another one are redone
  nlohmann::json generator = nlohmann::json::object();  // provenance for dataset.json
  bool has_reports = true;                              // Manifest::has_reports
  int rank = 0;
  int world = 1;
};

struct SkippedVolume {
  std::string name;
  std::string reason;
};

struct PartsReport {
  int64_t parts_mine = 0;
  int64_t parts_reused = 0;            // finished by an earlier run, verified
  int64_t converted = 0;               // volumes converted by this rank in this run
  std::vector<SkippedVolume> skipped;  // by this rank in this run
};

// Why a volume's conversion failed, for the log and the part record: the project's errors carry their context;
// anything else (std::bad_alloc, LibTorch's c10::Error, filesystem and JSON exceptions) is named by the first
// line of its text (c10::Error appends a stack trace).
std::string volume_failure_reason(const std::exception& e);

// Every rank: converts its unfinished parts. `convert` turns a volume name into a Sample or throws; whatever
// it throws (cagcl::Error, std::bad_alloc, LibTorch's c10::Error, filesystem or JSON exceptions) is that
// volume's failure: with skip_bad it is recorded as skipped with the reason, otherwise a DataError naming the
// volume stops the run. Errors of the output (a shard that cannot be written: a full disk) always stop it.
// Does nothing when OUT already holds the dataset of this fingerprint; UsageError when it holds one made with
// another fingerprint.
PartsReport convert_parts(const ConversionPlan& plan, const std::vector<std::string>& volumes,
                          const std::function<Sample(const std::string&)>& convert);

struct AssemblyReport {
  Manifest manifest;
  std::vector<SkippedVolume> skipped;  // all parts, all runs
  bool already_complete = false;       // dataset.json was there with this fingerprint
};

// Rank 0, after every rank's convert_parts returned. DataError when a part is missing or damaged, or when no
// volume at all was converted.
AssemblyReport assemble_dataset(const ConversionPlan& plan, const std::vector<std::string>& volumes);

// True when OUT/dataset.json exists and was made with `fingerprint` (nothing to do).
bool dataset_is_complete(const std::filesystem::path& out, const std::string& fingerprint);

}  // namespace cagcl::data::convert
