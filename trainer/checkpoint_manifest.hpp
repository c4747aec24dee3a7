#pragma once
// manifest.json of a checkpoint step directory (layout and commit order in docs/training.md): what was saved,
// by how many ranks, where the data stream stood, every rank's RNG state, the tensor layout of every file, and
// each file's size and SHA-256. It is written by rank 0 after every rank's files are durable, so a step directory
// without a manifest is an interrupted save and is never loaded. Untrusted on load: every field is checked.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace cagcl::trainer {

inline constexpr const char* kCheckpointFormat = "cagcl-checkpoint";
inline constexpr int kCheckpointVersion = 1;
inline constexpr const char* kCheckpointManifestName = "manifest.json";
inline constexpr const char* kModelFileName = "model.safetensors";

struct CheckpointFile {
  std::string name;  // plain file name inside the step directory
  int rank = 0;      // the rank that wrote it
  uint64_t bytes = 0;
  std::string sha256;
};

struct TensorEntry {  // a model tensor: name, dtype, shape
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;
};

struct PieceEntry {  // an optimizer-state piece in a rank's file: elements [start, start + numel) of `param`
  std::string param;
  int64_t start = 0;
  int64_t numel = 0;
};

struct RankState {
  int rank = 0;
  std::string file;  // its optimizer-state file
  std::vector<PieceEntry> pieces;
  std::string cpu_rng;   // hex of LibTorch's CPU generator state
  std::string cuda_rng;  // hex of the CUDA generator state; empty on the CPU
};

struct CheckpointManifest {
  int64_t step = 0;         // optimizer steps completed
  int64_t total_steps = 0;  // the schedule's length when saved
  int world_size = 1;
  int64_t batch_size = 0;        // per rank, when saved
  int64_t sampler_position = 0;  // global sample position of the next batch (data/sampler.hpp)
  int64_t epoch = 0;
  int64_t restarts = 0;  // resumes before this save
  bool zero1 = false;
  std::string config_hash;
  std::string config_yaml;  // the resolved configuration (to name differing keys on resume)
  double unix_time = 0;
  std::vector<CheckpointFile> files;
  std::vector<TensorEntry> model_tensors;
  std::vector<RankState> ranks;  // world_size entries, rank order

  nlohmann::json to_json() const;
  // DataError "FILE: field 'ranks[1].pieces[3].numel' ..." on anything missing or inconsistent.
  static CheckpointManifest from_json(const nlohmann::json& j, const std::string& origin);
  static CheckpointManifest load(const std::filesystem::path& step_dir);
};

// "step-00001200".
std::string step_dir_name(int64_t step);
// The step of a "step-NNNNNNNN" name, or -1.
int64_t parse_step_dir_name(const std::string& name);
// "optimizer-rank-00001-of-00004.safetensors".
std::string optimizer_file_name(int rank, int world_size);

// Lower-case hex of raw bytes and back (RNG states). DataError naming `what` on bad hex.
std::string to_hex(const void* data, size_t size);
std::vector<uint8_t> from_hex(const std::string& hex, const std::string& what);

}  // namespace cagcl::trainer
