#include <torch/torch.h>

#include "trainer/checkpoint_store.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/atomic_file.hpp"
#include "common/checksum.hpp"
#include "common/error.hpp"
#include "common/json_file.hpp"
#include "model/safetensors.hpp"
#include "trainer/collective_strings.hpp"
#include "trainer/work_together.hpp"

namespace cagcl::trainer {
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double unix_now() { return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count(); }

std::string piece_key(const char* moment, const std::string& param, int64_t start) {
  return std::string(moment) + "/" + param + "/" + std::to_string(start);
}

CheckpointFile describe_file(const fs::path& path, int rank) {
  std::error_code ec;
  const auto bytes = fs::file_size(path, ec);
  if (ec) throw IoError(path.string() + ": cannot stat the file just written: " + ec.message());
  return {path.filename().string(), rank, static_cast<uint64_t>(bytes), sha256_file(path)};
}

}  // namespace

struct CheckpointStore::Pending {
  int64_t step = 0;
  CheckpointManifest common;
  std::vector<TensorEntry> model_tensors;
  RankState rank_state;
  std::vector<CheckpointFile> files;
  double bytes = 0;
  Clock::time_point start = Clock::now();
  std::thread thread;
  std::atomic<bool> done{false};
  std::exception_ptr error;
};

void maybe_kill_for_test(int rank, int64_t step) {
  const char* spec = std::getenv("CAGCL_DEBUG_KILL_IN_CHECKPOINT");
  if (!spec) return;
  int kill_rank = -1;
  long long kill_step = -1;
  if (std::sscanf(spec, "%d:%lld", &kill_rank, &kill_step) != 2) return;
  if (kill_rank == rank && kill_step == step) {
    spdlog::warn("CAGCL_DEBUG_KILL_IN_CHECKPOINT: rank {} kills itself in the save of step {}", rank, step);
    ::kill(::getpid(), SIGKILL);
  }
}

CheckpointStore::CheckpointStore(fs::path run_dir, std::shared_ptr<Communicator> comm, int64_t keep)
    : run_dir_(std::move(run_dir)),
      dir_(run_dir_ / "checkpoints"),
      comm_(std::move(comm)),
      keep_(std::max<int64_t>(1, keep)) {}

CheckpointStore::~CheckpointStore() {
  if (pending_ && pending_->thread.joinable()) pending_->thread.join();
}

void CheckpointStore::prepare_directory(int64_t step) {
  const auto step_dir = dir_ / step_dir_name(step);
  // Rank 0's file-system work (a stale directory may be large, fsyncs may be slow) under work_together: the
  // others wait without a failure timeout running out.
  work_together(*comm_, [&] {
    if (comm_->rank() != 0) return;
    create_directories_durably(dir_);
    std::ifstream latest(dir_ / kLatestFileName);
    std::string committed;
    if (latest >> committed && committed == step_dir_name(step))
      throw Error("checkpoint: refusing to overwrite the committed checkpoint " + step_dir.string());
    // Left over from a save that never committed (or committed its manifest but not LATEST): start clean, so
    // no file of the old attempt can be mistaken for one of this one.
    std::error_code ec;
    fs::remove_all(step_dir, ec);
    if (ec) throw IoError(step_dir.string() + ": cannot remove the stale directory: " + ec.message());
    create_directories_durably(step_dir);
  });
}

void CheckpointStore::begin_save(CheckpointSnapshot snapshot) {
  finish();
  const int64_t step = snapshot.common.step;
  prepare_directory(step);
  auto pending = std::make_unique<Pending>();
  pending->step = step;
  pending->common = snapshot.common;
  pending->rank_state.rank = comm_->rank();
  pending->rank_state.file = optimizer_file_name(comm_->rank(), comm_->size());
  pending->rank_state.cpu_rng = snapshot.cpu_rng;
  pending->rank_state.cuda_rng = snapshot.cuda_rng;
  for (const auto& [name, t] : snapshot.model)
    pending->model_tensors.push_back({name, model::safetensors_dtype(t.scalar_type()), t.sizes().vec()});
  const fs::path step_dir = dir_ / step_dir_name(step);
  const int rank = comm_->rank(), world = comm_->size();
  Pending* p = pending.get();
  // Only file I/O here, never a collective: the training loop's collectives keep their order on every rank.
  p->thread = std::thread([p, step_dir, rank, world, snapshot = std::move(snapshot)]() mutable {
    try {
      if (rank == 0) {
        const auto path = step_dir / kModelFileName;
        model::write_safetensors(path.string(), snapshot.model,
                                 {{"format", "cagcl-model"}, {"step", std::to_string(p->step)}});
        p->files.push_back(describe_file(path, rank));
      }
      model::TensorMap tensors;
      for (const auto& piece : snapshot.optimizer) {
        tensors[piece_key("exp_avg", piece.param, piece.start)] = piece.exp_avg;
        tensors[piece_key("exp_avg_sq", piece.param, piece.start)] = piece.exp_avg_sq;
        p->rank_state.pieces.push_back({piece.param, piece.start, piece.exp_avg.numel()});
      }
      const auto path = step_dir / p->rank_state.file;
      model::write_safetensors(path.string(), tensors,
                               {{"format", "cagcl-optimizer-shard"},
                                {"rank", std::to_string(rank)},
                                {"world_size", std::to_string(world)},
                                {"step", std::to_string(p->step)}});
      p->files.push_back(describe_file(path, rank));
      for (const auto& f : p->files) p->bytes += static_cast<double>(f.bytes);
      maybe_kill_for_test(rank, p->step);
    } catch (...) {
      p->error = std::current_exception();
    }
    p->done = true;
  });
  pending_ = std::move(pending);
}

std::optional<CheckpointReport> CheckpointStore::poll() {
  if (!pending_) return std::nullopt;
  auto flags =
      torch::tensor({pending_->done ? 1.0 : 0.0}, torch::TensorOptions(torch::kDouble).device(comm_->device()));
  comm_->all_reduce(flags, ReduceOp::min);
  if (flags.item<double>() < 1.0) return std::nullopt;
  return commit();
}

std::optional<CheckpointReport> CheckpointStore::finish() {
  if (!pending_) return std::nullopt;
  // Polling, not joining: while rank 0 writes and hashes the model file, the other ranks' collectives stay
  // answered, so a save longer than the failure timeout is not taken for a dead peer.
  for (;;) {
    if (auto report = poll()) return report;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

CheckpointReport CheckpointStore::save(CheckpointSnapshot snapshot) {
  begin_save(std::move(snapshot));
  return *finish();
}

CheckpointReport CheckpointStore::commit() {
  std::unique_ptr<Pending> p = std::move(pending_);
  if (p->thread.joinable()) p->thread.join();
  // Every rank says whether its files are in place; one failed rank fails the save on all of them.
  nlohmann::json mine;
  if (p->error) {
    try {
      std::rethrow_exception(p->error);
    } catch (const std::exception& e) {
      mine = {{"error", e.what()}};
    }
  } else {
    nlohmann::json files = nlohmann::json::array();
    for (const auto& f : p->files)
      files.push_back({{"name", f.name}, {"rank", f.rank}, {"bytes", f.bytes}, {"sha256", f.sha256}});
    nlohmann::json pieces = nlohmann::json::array();
    for (const auto& piece : p->rank_state.pieces)
      pieces.push_back({{"param", piece.param}, {"start", piece.start}, {"numel", piece.numel}});
    mine = {{"files", files},
            {"pieces", pieces},
            {"file", p->rank_state.file},
            {"cpu_rng", p->rank_state.cpu_rng},
            {"cuda_rng", p->rank_state.cuda_rng}};
  }
  // A collective after every rank's renames: the barrier before the manifest.
  const auto all = all_gather_strings(*comm_, dump_json(mine));  // an error may name a path that is not UTF-8
  std::string failures;
  std::vector<nlohmann::json> infos;
  for (int r = 0; r < comm_->size(); ++r) {
    infos.push_back(parse_json_text(all[r], "checkpoint outcome of rank " + std::to_string(r)));
    if (infos.back().contains("error"))
      failures += (failures.empty() ? "" : "; ") + std::string("rank ") + std::to_string(r) + ": " +
                  infos.back()["error"].get<std::string>();
  }
  const auto step_dir = dir_ / step_dir_name(p->step);
  if (!failures.empty()) throw IoError("checkpoint " + step_dir.string() + " not committed: " + failures);

  work_together(*comm_, [&] {
    if (comm_->rank() != 0) return;
    CheckpointManifest m = p->common;
    m.world_size = comm_->size();
    m.unix_time = unix_now();
    m.model_tensors = p->model_tensors;
    m.files.clear();
    m.ranks.clear();
    for (int r = 0; r < comm_->size(); ++r) {
      const auto& info = infos[r];
      for (const auto& f : info["files"])
        m.files.push_back({f["name"].get<std::string>(), f["rank"].get<int>(), f["bytes"].get<uint64_t>(),
                           f["sha256"].get<std::string>()});
      RankState state;
      state.rank = r;
      state.file = info["file"].get<std::string>();
      for (const auto& piece : info["pieces"])
        state.pieces.push_back(
            {piece["param"].get<std::string>(), piece["start"].get<int64_t>(), piece["numel"].get<int64_t>()});
      state.cpu_rng = info["cpu_rng"].get<std::string>();
      state.cuda_rng = info["cuda_rng"].get<std::string>();
      m.ranks.push_back(std::move(state));
    }
    write_file_atomically(step_dir / kCheckpointManifestName, m.to_json().dump(1) + "\n");
    // The commit point: LATEST is replaced atomically, after everything it points to is durable.
    write_file_atomically(dir_ / kLatestFileName, step_dir_name(p->step) + "\n");
    prune(p->step);
  });
  CheckpointReport report;
  report.step = p->step;
  report.ok = true;
  report.seconds = std::chrono::duration<double>(Clock::now() - p->start).count();
  report.bytes = p->bytes;
  report.unix_time = unix_now();
  return report;
}

void CheckpointStore::prune(int64_t newest) {
  std::vector<int64_t> committed;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    const int64_t step = parse_step_dir_name(entry.path().filename().string());
    if (step < 0 || step >= newest) continue;
    if (fs::exists(entry.path() / kCheckpointManifestName)) {
      committed.push_back(step);
    } else {  // an unfinished save (the only one in flight is `newest`'s): no slot, and no disk
      fs::remove_all(entry.path(), ec);
      if (ec) spdlog::warn("checkpoint: could not remove the unfinished {}: {}", entry.path().string(), ec.message());
    }
  }
  std::sort(committed.rbegin(), committed.rend());
  // The newest `keep_ - 1` older committed ones stay.
  for (size_t i = static_cast<size_t>(keep_ - 1); i < committed.size(); ++i) {
    const auto victim = dir_ / step_dir_name(committed[i]);
    fs::remove_all(victim, ec);
    if (ec) spdlog::warn("checkpoint: could not remove old {}: {}", victim.string(), ec.message());
  }
}

CheckpointManifest verify_checkpoint(const fs::path& step_dir) {
  const auto manifest = CheckpointManifest::load(step_dir);
  for (const auto& f : manifest.files) {
    const auto path = step_dir / f.name;
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (ec) throw DataError(path.string() + ": missing (listed in the manifest)");
    if (size != f.bytes)
      throw DataError(path.string() + ": " + std::to_string(size) + " bytes, the manifest says " +
                      std::to_string(f.bytes) + " (truncated or overwritten)");
    if (sha256_file(path) != f.sha256)
      throw DataError(path.string() + ": SHA-256 differs from the manifest (corrupted)");
  }
  return manifest;
}

std::string resolve_checkpoint(const std::string& run_or_checkpoint) {
  fs::path path(run_or_checkpoint);
  if (!fs::exists(path)) throw UsageError("checkpoint '" + run_or_checkpoint + "': no such file or directory");
  if (fs::exists(path / kCheckpointManifestName) || parse_step_dir_name(path.filename().string()) >= 0) {
    verify_checkpoint(path);
    return path.string();
  }
  fs::path dir = fs::exists(path / "checkpoints") ? path / "checkpoints" : path;
  std::vector<int64_t> steps;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const int64_t step = parse_step_dir_name(entry.path().filename().string());
    if (step >= 0 && entry.is_directory()) steps.push_back(step);
  }
  std::sort(steps.rbegin(), steps.rend());
  int64_t latest = -1;
  {
    std::ifstream in(dir / kLatestFileName);
    std::string name;
    if (in >> name) latest = parse_step_dir_name(name);
    if (latest < 0 && !steps.empty())
      spdlog::warn("checkpoint: {} has no valid {} pointer; trying the step directories newest first", dir.string(),
                   kLatestFileName);
  }
  std::string reasons;
  for (const int64_t step : steps) {
    // Newer than LATEST: a save that died between its manifest and the LATEST update. Not committed, not used.
    if (latest >= 0 && step > latest) continue;
    const auto candidate = dir / step_dir_name(step);
    try {
      verify_checkpoint(candidate);
      if (!reasons.empty()) spdlog::warn("checkpoint: using {} instead", candidate.string());
      return candidate.string();
    } catch (const DataError& e) {
      spdlog::warn("checkpoint: skipping {}: {}; falling back to the previous one", candidate.string(), e.what());
      reasons += (reasons.empty() ? "" : "; ") + std::string(e.what());
    }
  }
  throw DataError("no usable checkpoint in " + dir.string() + (reasons.empty() ? " (none saved yet)" : ": " + reasons));
}

namespace {

// The set-aside directories beyond the newest kKeepDamagedCheckpoints (by step, then by name) are removed.
void bound_damaged(const fs::path& checkpoints_dir) {
  std::vector<std::pair<int64_t, fs::path>> damaged;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(checkpoints_dir, ec)) {
    const std::string name = entry.path().filename().string();
    const auto mark = name.find(".damaged");
    if (mark == std::string::npos || !entry.is_directory()) continue;
    const int64_t step = parse_step_dir_name(name.substr(0, mark));
    if (step >= 0) damaged.emplace_back(step, entry.path());
  }
  std::sort(damaged.rbegin(), damaged.rend());
  for (size_t i = static_cast<size_t>(kKeepDamagedCheckpoints); i < damaged.size(); ++i) {
    spdlog::warn("checkpoint: removing {} (only the newest {} set-aside directories are kept)",
                 damaged[i].second.string(), kKeepDamagedCheckpoints);
    fs::remove_all(damaged[i].second, ec);
  }
}

}  // namespace

std::vector<fs::path> set_aside_checkpoints_after(const fs::path& checkpoints_dir, int64_t step) {
  std::vector<fs::path> moved;
  std::error_code ec;
  std::vector<fs::path> newer;
  for (const auto& entry : fs::directory_iterator(checkpoints_dir, ec)) {
    const int64_t other = parse_step_dir_name(entry.path().filename().string());
    if (other > step && entry.is_directory()) newer.push_back(entry.path());
  }
  if (ec) throw IoError(checkpoints_dir.string() + ": cannot list: " + ec.message());
  for (const auto& dir : newer) {
    if (!fs::exists(dir / kCheckpointManifestName)) {  // a save that never committed: nothing to keep
      fs::remove_all(dir, ec);
      if (ec) throw IoError(dir.string() + ": cannot remove the unfinished save: " + ec.message());
      continue;
    }
    auto target = dir;
    target += ".damaged";
    for (int n = 1; fs::exists(target); ++n) {  // an earlier fallback may have left one of the same name
      target = dir;
      target += ".damaged-" + std::to_string(n);
    }
    fs::rename(dir, target, ec);
    if (ec) throw IoError(dir.string() + ": cannot rename to " + target.string() + ": " + ec.message());
    moved.push_back(target);
  }
  bound_damaged(checkpoints_dir);
  std::ifstream in(checkpoints_dir / kLatestFileName);
  std::string latest;
  if (!(in >> latest) || latest != step_dir_name(step))
    write_file_atomically(checkpoints_dir / kLatestFileName, step_dir_name(step) + "\n");
  fsync_path(checkpoints_dir);
  return moved;
}

LoadedCheckpoint load_checkpoint(const fs::path& step_dir) {
  LoadedCheckpoint loaded;
  loaded.dir = step_dir;
  loaded.manifest = CheckpointManifest::load(step_dir);
  loaded.model = model::read_safetensors((step_dir / kModelFileName).string());
  for (const auto& t : loaded.manifest.model_tensors) {
    auto it = loaded.model.find(t.name);
    if (it == loaded.model.end() || it->second.sizes().vec() != t.shape)
      throw DataError((step_dir / kModelFileName).string() + ": tensor '" + t.name +
                      "' missing or not of the manifest's shape");
  }
  for (const auto& rank : loaded.manifest.ranks) {
    const auto path = step_dir / rank.file;
    const auto tensors = model::read_safetensors(path.string());
    for (const auto& piece : rank.pieces) {
      StatePiece out{piece.param, piece.start, {}, {}};
      for (const char* moment : {"exp_avg", "exp_avg_sq"}) {
        const auto key = piece_key(moment, piece.param, piece.start);
        auto it = tensors.find(key);
        if (it == tensors.end() || it->second.numel() != piece.numel || it->second.dim() != 1)
          throw DataError(path.string() + ": tensor '" + key + "' missing or not " + std::to_string(piece.numel) +
                          " elements");
        (std::string(moment) == "exp_avg" ? out.exp_avg : out.exp_avg_sq) = it->second.to(torch::kFloat);
      }
      loaded.optimizer.push_back(std::move(out));
    }
  }
  return loaded;
}

}  // namespace cagcl::trainer
