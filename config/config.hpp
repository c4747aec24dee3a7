#pragma once
// The resolved configuration of a run: a preset (configs/*.yaml, embedded in the binary), an optional
// user YAML file, then `--set key.path=value` overrides, in that order. Every key has a type and a check;
// an unknown key or a bad value is a UsageError that names the key path and where it came from.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace cagcl {

struct DataConfig {
  std::string dir = "data/synthetic";  // dataset directory (dataset.json + shards)
  std::vector<std::string> anatomies = {"lung", "heart", "esophagus", "aorta"};
  std::array<int64_t, 3> crop = {48, 96, 96};  // D, H, W of the training crop
  double hu_min = -1150;                       // HU window mapped to [0, 1]
  double hu_max = 350;
  double flip_prob = 0.2;  // per-axis random flip probability (training)
  int64_t workers = 2;     // loader threads per rank
  int64_t prefetch = 4;    // batches queued ahead
  bool verify_checksums = true;
  bool skip_bad_samples = true;    // replace a sample that fails to decode by the next good one, and count it
  double max_bad_fraction = 0.01;  // stop once more than this fraction of the samples read were bad
  bool shard_aware_order = false;  // shuffle shards, then blocks within a shard (locality on network FS)
};

// What the embedded demo synthesises when its dataset is missing (`cagcl synth` takes flags instead).
struct SynthConfig {
  std::array<int64_t, 3> size = {48, 96, 96};
  int64_t volumes = 800;
  int64_t shards = 4;
  uint64_t seed = 42;
  double valid_fraction = 0.125;  // of patients; tuning and live validation
  double test_fraction = 0.25;    // of patients; held out for the final zero-shot figures
};

struct VisionConfig {
  std::array<int64_t, 3> patch = {8, 16, 16};
  int64_t width = 128;
  int64_t depth = 4;
  int64_t heads = 4;
  double mlp_ratio = 4.0;
  std::vector<int64_t> return_layers = {2, 3, 4};  // 1-based block outputs fed to anatomy pooling
};

struct TextConfig {
  int64_t width = 128;
  int64_t layers = 2;
  int64_t heads = 4;
  int64_t intermediate = 512;
  int64_t max_length = 64;
  std::string vocab;    // WordPiece vocab.txt; empty = built from the dataset's reports
  std::string weights;  // HuggingFace BERT (.safetensors or model directory) to start from; empty = random init
  // What the projection reads: "mean" of the unpadded tokens' last hidden states (from-scratch encoders: every
  // word reaches the embedding directly) or "cls", the [CLS] state (pretrained BERTs, METHOD.md).
  std::string pooling = "mean";
};

struct ModelConfig {
  int64_t embed_dim = 64;
  int64_t pool_heads = 4;
  double tau_init = 0.07;
  double tau_min = 0.001;
  double tau_max = 0.5;
  bool separate_global_tau = false;
};

struct LossConfig {
  double w_local = 1.0;
  double w_global = 1.0;  // 0 = the fVLM baseline
  bool skip_all_normal_anatomy = true;
  std::string local_reduction = "sum";  // sum (fVLM) | mean over anatomies
};

struct AugmentConfig {
  double p_aug = 0.5;   // probability that a text is augmented
  double p_keep = 0.7;  // per-sentence keep probability (partial completeness)
  bool shuffle = true;  // permute sentence order (permutation invariance)
};

struct TrainConfig {
  int64_t batch_size = 4;  // per rank
  int64_t steps = 800;     // schedule length; 0 = derive from epochs
  int64_t epochs = 0;
  double lr = 3e-4;
  double warmup_lr = 1e-6;
  double min_lr = 1e-6;
  int64_t warmup_steps = 50;
  double weight_decay = 0.01;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double grad_clip = 1.0;  // global-norm clip; 0 = off
  int64_t accumulation = 1;
  uint64_t seed = 42;
  int64_t checkpoint_every = 200;
  int64_t keep_checkpoints = 3;
  int64_t log_every = 10;
  int64_t val_every = 200;
  bool val_zero_shot = true;  // score the validation split zero-shot at each validation (launch/live_zero_shot.hpp)
  bool zero1 = false;
  std::string precision = "fp32";  // fp32 | bf16
};

// The distributed layer (comm/): gradient buckets, collective-order checks, failure detection.
struct CommConfig {
  double bucket_cap_mb = 25;       // gradient bucket size (PyTorch DDP's default)
  double first_bucket_mb = 1;      // the first bucket is small so communication starts early
  bool overlap = true;             // all-reduce buckets during backward (false: after it)
  bool debug_sequence = false;     // compare a fingerprint of every collective across ranks (slow)
  double failure_timeout_s = 300;  // a collective that takes longer throws and ends the job
};

// The Prometheus exporter of every rank (monitoring/, docs/monitoring.md).
struct MonitoringConfig {
  std::string address = "0.0.0.0";      // interface the /metrics endpoint listens on
  int64_t port_base = 9400;             // a rank listens on port_base + its local rank; 0 = no exporter
  std::string on_port_in_use = "next";  // next (move up to a free port) | error
  std::string file_sd;                  // directory for Prometheus file_sd target files; empty = none
  std::string advertise_host;           // host written to file_sd; empty = this node's name (or the address)
};

struct Config {
  DataConfig data;
  SynthConfig synth;
  VisionConfig vision;
  TextConfig text;
  ModelConfig model;
  LossConfig loss;
  AugmentConfig augment;
  TrainConfig train;
  CommConfig comm;
  MonitoringConfig monitoring;
};

// Names of the presets embedded in the binary (configs/*.yaml at build time).
std::vector<std::string> preset_names();
// The YAML text of an embedded preset; UsageError naming the preset when unknown.
const std::string& preset_yaml(const std::string& name);

// `source` is a preset name or a YAML file path. A file may start from a preset with `base: NAME`.
Config load_config(const std::string& source, const std::vector<std::string>& overrides = {});
// Applies YAML text onto `config`; `origin` names the text in errors (file name, "--set", preset).
void apply_yaml(Config& config, const std::string& yaml_text, const std::string& origin);
// Applies one `key.path=value` override.
void apply_override(Config& config, const std::string& assignment);
// Cross-field checks (crop divisible by patch, width divisible by heads, ...).
void validate(const Config& config);

std::string to_yaml(const Config& config);
// SHA-256 of to_yaml(): identifies the configuration in checkpoints.
std::string config_hash(const Config& config);
// Writes to_yaml() atomically (temporary name, fsync, rename).
void save_config(const Config& config, const std::string& path);

// Every key path with its one-line description, for `cagcl config --keys` and the docs.
std::vector<std::pair<std::string, std::string>> config_keys();

}  // namespace cagcl
