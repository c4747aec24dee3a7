#pragma once
// Sharded checkpoints of a run: RUN/checkpoints/step-NNNNNNNN/ holds model.safetensors (rank 0: every model
// tensor under its CagclModel name), one optimizer-rank-RRRRR-of-WWWWW.safetensors per rank (its slice of the
// AdamW state, optimizer.hpp) and manifest.json (checkpoint_manifest.hpp). RUN/checkpoints/LATEST names the
// newest committed step directory.
//
// Commit order (docs/training.md): rank 0 empties the step directory and every rank waits for it; every rank
// writes its files under temporary names, fsyncs them and renames them into place (fsync of the directory);
// the ranks' file sizes, SHA-256s, piece layouts and RNG states are gathered on rank 0 -- a collective, so it is
// also the barrier after which every file is durable --; rank 0 writes manifest.json (atomically), then LATEST
// (atomically, last), then prunes to the newest `keep` checkpoints. A crash at any point leaves LATEST naming
// the previous checkpoint, and a directory without manifest is never loaded.
//
// Background saves: begin_save() takes a snapshot (CPU copies made by the caller at the step boundary) and
// writes the files on a thread of this rank, without any collective; the training loop goes on. At later step
// boundaries poll() asks all ranks, by one all-reduce, whether their writes are done; only when every rank's
// files are durable do the ranks gather and rank 0 commits. So a committed checkpoint is always one consistent
// step boundary of every rank, and a job killed mid-write keeps its previous checkpoint.
#include <torch/torch.h>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "comm/communicator.hpp"
#include "trainer/checkpoint_manifest.hpp"
#include "trainer/optimizer.hpp"
#include "trainer/step_report.hpp"

namespace cagcl::trainer {

inline constexpr const char* kLatestFileName = "LATEST";
// Directories set aside by a resume that fell back (step-NNNNNNNN.damaged*): only the newest this many stay.
inline constexpr int64_t kKeepDamagedCheckpoints = 2;

// What one rank hands over at a step boundary. Tensors must be copies that training will not modify.
struct CheckpointSnapshot {
  CheckpointManifest common;  // step, total_steps, batch_size, sampler_position, epoch, restarts, zero1, config
  std::map<std::string, torch::Tensor> model;  // rank 0 only (other ranks may leave it empty)
  std::vector<StatePiece> optimizer;           // this rank's slice
  std::string cpu_rng, cuda_rng;               // this rank's generator states, hex
};

class CheckpointStore {
 public:
  CheckpointStore(std::filesystem::path run_dir, std::shared_ptr<Communicator> comm, int64_t keep);
  ~CheckpointStore();  // joins a writer thread (an uncommitted save is abandoned: it never gets a manifest)
  CheckpointStore(const CheckpointStore&) = delete;
  CheckpointStore& operator=(const CheckpointStore&) = delete;

  // Collective. Writes and commits before returning.
  CheckpointReport save(CheckpointSnapshot snapshot);
  // Collective. Starts writing in the background; a save still pending is finished and committed first.
  void begin_save(CheckpointSnapshot snapshot);
  // Collective, at a step boundary: commits the pending save when every rank's files are written. Returns its
  // report when it committed now.
  std::optional<CheckpointReport> poll();
  // Collective: waits for the pending save (if any) and commits it, polling all ranks meanwhile (no failure
  // timeout while the files are written).
  std::optional<CheckpointReport> finish();
  bool pending() const { return pending_ != nullptr; }

  const std::filesystem::path& checkpoints_dir() const { return dir_; }

 private:
  struct Pending;
  void prepare_directory(int64_t step);
  CheckpointReport commit();
  void prune(int64_t newest);

  std::filesystem::path run_dir_, dir_;
  std::shared_ptr<Communicator> comm_;
  int64_t keep_;
  std::unique_ptr<Pending> pending_;  // the save being written or waiting for its commit
};

// A checkpoint read back: the manifest, the model tensors and every rank's optimizer pieces.
struct LoadedCheckpoint {
  std::filesystem::path dir;
  CheckpointManifest manifest;
  std::map<std::string, torch::Tensor> model;
  std::vector<StatePiece> optimizer;
};

// Checks the manifest and every listed file's size and SHA-256; DataError naming the file on any difference
// (truncated, corrupted, missing).
CheckpointManifest verify_checkpoint(const std::filesystem::path& step_dir);
// `run_or_checkpoint`: a step directory (verified, returned as is), or a run directory / its checkpoints
// directory: the one LATEST names if it verifies, else the newest older one that does, logging why each newer
// one was skipped. DataError when there is none. Returns the step directory's path.
std::string resolve_checkpoint(const std::string& run_or_checkpoint);
// After a resume fell back to `step` (newer checkpoints damaged): renames every newer step directory of
// `checkpoints_dir` that has a manifest to `step-NNNNNNNN.damaged` (kept for inspection, never loaded; only the
// newest kKeepDamagedCheckpoints stay), removes those without one (saves that never committed), and points
// LATEST at `step`, so that the continued run can commit those steps again. Rank 0 only. Returns the renamed
// directories.
std::vector<std::filesystem::path> set_aside_checkpoints_after(const std::filesystem::path& checkpoints_dir,
                                                               int64_t step);
// Reads a step directory (verify it first). DataError naming the file and tensor on a mismatch with the manifest.
LoadedCheckpoint load_checkpoint(const std::filesystem::path& step_dir);

// Debug hook for the crash tests: with CAGCL_DEBUG_KILL_IN_CHECKPOINT=RANK:STEP, that rank SIGKILLs itself
// after its files of that step are in place and before the manifest exists (a save cut in the middle).
void maybe_kill_for_test(int rank, int64_t step);

}  // namespace cagcl::trainer
