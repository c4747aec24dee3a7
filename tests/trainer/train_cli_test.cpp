// `cagcl train` end to end under mpirun on the `tiny` preset: stop/resume bit-exactness, a rank killed in the
// middle of a checkpoint, damaged checkpoints, resuming on 1 and 4 ranks, ZeRO-1, SIGUSR1, config changes.
// One reference run (2 ranks, 6 steps, checkpoints at 3 and 6) is made once and shared through the file
// system (tests run as separate processes under CTest; a file lock serialises its creation).
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/checksum.hpp"

namespace cagcl {
namespace {
namespace fs = std::filesystem;

struct Run {
  int exit_code = -1;
  std::string output;  // stdout + stderr
};

// fork/exec with an argument vector; output captured in a file. `env` entries are NAME=VALUE.
pid_t spawn(const std::vector<std::string>& argv, const fs::path& log, const std::vector<std::string>& env = {}) {
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    for (const auto& e : env) putenv(const_cast<char*>(e.c_str()));
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  return pid;
}

Run wait_for(pid_t pid, const fs::path& log) {
  int status = 0;
  waitpid(pid, &status, 0);
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), text.str()};
}

std::vector<std::string> mpirun(int np, std::vector<std::string> args) {
  std::vector<std::string> argv = {CAGCL_MPIEXEC, "--allow-run-as-root", "--oversubscribe",
                                   "-np",         std::to_string(np),    CAGCL_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

fs::path work_root() { return fs::path(CAGCL_TEST_WORK_DIR) / "train_cli"; }

Run run_train_cli(const std::vector<std::string>& argv, const std::string& name,
                  const std::vector<std::string>& env = {}) {
  const auto log = work_root() / (name + ".log");
  return wait_for(spawn(argv, log, env), log);
}

// Global loss per step from RUN/metrics.jsonl; a step logged twice (resumed run) keeps its last value.
std::map<int64_t, double> losses(const fs::path& run_dir) {
  std::map<int64_t, double> out;
  std::ifstream in(run_dir / "metrics.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line);
    if (j["event"] == "step") out[j["step"].get<int64_t>()] = j["loss"].get<double>();
  }
  return out;
}

// The "invocation" of every line of RUN/metrics.jsonl, by event: {"start", 1}, {"step", 1}, ...
std::vector<std::pair<std::string, int64_t>> invocations(const fs::path& run_dir) {
  std::vector<std::pair<std::string, int64_t>> out;
  std::ifstream in(run_dir / "metrics.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line);
    out.emplace_back(j.at("event").get<std::string>(), j.value("invocation", int64_t{0}));
  }
  return out;
}

// The "invocation" and "restarts" of every line of RUN/metrics.jsonl; -1 where a line lacks "restarts".
std::vector<std::pair<int64_t, int64_t>> restarts_by_invocation(const fs::path& run_dir) {
  std::vector<std::pair<int64_t, int64_t>> out;
  std::ifstream in(run_dir / "metrics.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line);
    out.emplace_back(j.value("invocation", int64_t{0}), j.value("restarts", int64_t{-1}));
  }
  return out;
}

bool have_matplotlib() {
  const char* env = std::getenv("CAGCL_PYTHON");
  const std::string python = env && *env ? env : fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  return std::system(("'" + python + "' -c 'import matplotlib' > /dev/null 2>&1").c_str()) == 0;
}

std::string latest(const fs::path& run_dir) {
  std::ifstream in(run_dir / "checkpoints" / "LATEST");
  std::string name;
  in >> name;
  return name;
}

std::string model_sha(const fs::path& run_dir, const std::string& step) {
  return sha256_file(run_dir / "checkpoints" / step / "model.safetensors");
}

std::vector<std::string> tiny(const fs::path& out, std::vector<std::string> more = {}) {
  std::vector<std::string> args = {"train", "--config",  "tiny", "--data", (work_root() / "data").string(),
                                   "--out", out.string()};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// The shared dataset and reference run, made by whichever test gets here first.
const fs::path& reference() {
  static const fs::path ref = work_root() / "reference";
  static bool ready = false;
  if (ready) return ref;
  fs::create_directories(work_root());
  const int lock = ::open((work_root() / "lock").c_str(), O_RDWR | O_CREAT, 0644);
  flock(lock, LOCK_EX);
  // Made again by every new cagcl binary: a dataset or reference of an older build (another schema, other
  // weights) would fail or falsify the comparisons.
  const std::string stamp = std::to_string(fs::last_write_time(CAGCL_BINARY).time_since_epoch().count()) + " " +
                            std::to_string(fs::file_size(CAGCL_BINARY)) + "\n";
  std::ifstream done_file(work_root() / "reference.done");
  const std::string done((std::istreambuf_iterator<char>(done_file)), std::istreambuf_iterator<char>());
  if (done != stamp) {
    fs::remove_all(work_root() / "data");
    fs::remove_all(ref);
    const auto synth = run_train_cli({CAGCL_BINARY, "synth", "--out", (work_root() / "data").string(), "--volumes",
                                      "16", "--shards", "2", "--size", "32x64x64", "--seed", "7"},
                                     "synth");
    EXPECT_EQ(synth.exit_code, 0) << synth.output;
    const auto r = run_train_cli(mpirun(2, tiny(ref)), "reference");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    if (r.exit_code == 0) std::ofstream(work_root() / "reference.done") << stamp;
  }
  flock(lock, LOCK_UN);
  ::close(lock);
  ready = true;
  return ref;
}

fs::path fresh(const std::string& name) {
  const auto dir = work_root() / name;
  fs::remove_all(dir);
  return dir;
}

// A copy of the reference run under `name`, for a test that damages it.
fs::path copy_of_reference(const std::string& name) {
  const auto out = fresh(name);
  fs::copy(reference(), out, fs::copy_options::recursive);
  return out;
}

// Overwrites bytes of a file in place (a corrupted checkpoint file of the same size).
void overwrite(const fs::path& file, uintmax_t offset, const std::string& bytes) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

TEST(TrainCli, ReferenceRunTrainsCheckpointsAndValidates) {
  const auto& ref = reference();
  const auto l = losses(ref);
  ASSERT_EQ(l.size(), 6u);
  for (const auto& [step, loss] : l) EXPECT_TRUE(std::isfinite(loss)) << step;
  EXPECT_EQ(latest(ref), "step-00000006");
  EXPECT_TRUE(fs::exists(ref / "checkpoints" / "step-00000003" / "manifest.json"));
  EXPECT_TRUE(fs::exists(ref / "checkpoints" / "step-00000006" / "optimizer-rank-00001-of-00002.safetensors"));
  EXPECT_TRUE(fs::exists(ref / "config.yaml"));
  std::ifstream in(ref / "metrics.jsonl");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("\"event\":\"validation\""), std::string::npos);
  // Each step line counts the intact instances of the global batch (2 ranks x batch) by anatomy.
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    const auto j = nlohmann::json::parse(line);
    if (j.at("event") != "step") continue;
    const auto& intact = j.at("intact_instances");
    for (const char* anatomy : {"lung", "heart", "esophagus", "aorta"}) {
      ASSERT_TRUE(intact.contains(anatomy)) << line;
      EXPECT_GE(intact.at(anatomy).get<int64_t>(), 0) << line;
      EXPECT_LE(intact.at(anatomy).get<int64_t>(), j.at("global_samples").get<int64_t>()) << line;
    }
  }
}

// The "validation" lines of RUN/metrics.jsonl.
std::vector<nlohmann::json> validation_lines(const fs::path& run_dir) {
  std::vector<nlohmann::json> out;
  std::ifstream in(run_dir / "metrics.jsonl");
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line);
    if (j.at("event") == "validation") out.push_back(std::move(j));
  }
  return out;
}

// A figure of the zero-shot object: a number in [lo, 1], or null where it is undefined (a tiny split may lack
// a label's positives or an abnormal instance to retrieve with).
void expect_figure(const nlohmann::json& v, double lo, const std::string& where) {
  if (v.is_null()) return;
  ASSERT_TRUE(v.is_number()) << where;
  EXPECT_GE(v.get<double>(), lo) << where;
  EXPECT_LE(v.get<double>(), 1.0) << where;
}

// Live zero-shot scoring draws no random numbers and writes nothing to the model: a run with it on trains
// byte-identical weights to the same run with it off. Its figures ride on every validation line (the step-0
// baseline included) and on a progress line.
TEST(TrainCli, LiveZeroShotScoringLeavesTheWeightsBitIdentical) {
  reference();  // the shared dataset
  const auto on = fresh("zero_shot_on"), off = fresh("zero_shot_off");
  const auto r_on =
      run_train_cli(mpirun(2, tiny(on, {"--steps", "3", "--set", "train.val_zero_shot=true"})), "zero_shot_on");
  ASSERT_EQ(r_on.exit_code, 0) << r_on.output;
  const auto r_off =
      run_train_cli(mpirun(2, tiny(off, {"--steps", "3", "--set", "train.val_zero_shot=false"})), "zero_shot_off");
  ASSERT_EQ(r_off.exit_code, 0) << r_off.output;
  ASSERT_EQ(latest(on), "step-00000003");
  ASSERT_EQ(latest(off), "step-00000003");
  EXPECT_EQ(model_sha(on, "step-00000003"), model_sha(off, "step-00000003"));
  EXPECT_EQ(losses(on), losses(off));
  EXPECT_NE(r_on.output.find("zero-shot at step 0: macro AUC"), std::string::npos) << r_on.output;
  EXPECT_EQ(r_off.output.find("zero-shot at step"), std::string::npos) << r_off.output;

  const auto scored = validation_lines(on), plain = validation_lines(off);
  ASSERT_EQ(scored.size(), 2u);  // steps 0 and 3
  ASSERT_EQ(plain.size(), 2u);
  for (const auto& line : plain) EXPECT_FALSE(line.contains("zero_shot")) << line.dump();
  for (const auto& line : scored) {
    ASSERT_TRUE(line.contains("zero_shot")) << line.dump();
    const auto& z = line.at("zero_shot");
    const auto& by_family = z.at("macro_auc");
    for (const char* family : {"fvlm", "ctclip", "there_is", "anatomy_shows", "findings"}) {
      ASSERT_TRUE(by_family.contains(family)) << z.dump();
      expect_figure(by_family.at(family), 0.0, family);
    }
    expect_figure(z.at("macro_auc_mean"), 0.0, "macro_auc_mean");
    expect_figure(z.at("template_sd"), 0.0, "template_sd");
    ASSERT_TRUE(z.at("collapse_index").is_number()) << z.dump();  // the split has texts of several anatomies
    expect_figure(z.at("collapse_index"), -1.0, "collapse_index");
    for (const char* k : {"recall_at_1", "recall_at_5", "recall_at_10"}) expect_figure(z.at(k), 0.0, k);
  }
}

TEST(TrainCli, StopAfterStepsThenResumeRepeatsTheUninterruptedRunBitForBit) {
  const auto& ref = reference();
  const auto out = fresh("stop_resume");
  const auto first = run_train_cli(mpirun(2, tiny(out, {"--stop-after-steps", "2"})), "stop_resume_1");
  ASSERT_EQ(first.exit_code, 5) << first.output;
  EXPECT_EQ(latest(out), "step-00000002");
  EXPECT_FALSE(fs::exists(out / "training_curves.png")) << "a stopped invocation draws no curves";
  const auto second = run_train_cli(mpirun(2, tiny(out, {"--resume", "auto"})), "stop_resume_2");
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_EQ(losses(out), losses(ref));  // exact: every step's loss, bit for bit
  EXPECT_EQ(model_sha(out, "step-00000006"), model_sha(ref, "step-00000006"));
  // Every line carries its invocation: 1 up to the resumed run's start line, 2 from it on.
  const auto lines = invocations(out);
  int starts = 0, steps_first = 0, steps_second = 0;
  for (const auto& [event, invocation] : lines) {
    if (event == "start") ++starts;
    EXPECT_EQ(invocation, starts) << event;
    if (event == "step") ++(invocation == 1 ? steps_first : steps_second);
  }
  EXPECT_EQ(starts, 2);
  EXPECT_EQ(steps_first, 2);
  EXPECT_EQ(steps_second, 4);
  std::ifstream counter(out / "invocation");
  int64_t stored = 0;
  EXPECT_TRUE(counter >> stored);
  EXPECT_EQ(stored, 2);
  // Every line carries the restart count too: 0 before the resume, 1 from the resumed invocation's start line on.
  for (const auto& [invocation, restarts] : restarts_by_invocation(out)) EXPECT_EQ(restarts, invocation - 1);
  // The finished run draws its curves after the last checkpoint, the resume's repeated steps dropped.
  if (have_matplotlib()) {
    ASSERT_TRUE(fs::exists(out / "training_curves.png")) << second.output;
    EXPECT_GT(fs::file_size(out / "training_curves.png"), 0u);
    EXPECT_NE(second.output.find("6 steps"), std::string::npos) << second.output;
  }
}

// Without Python (CAGCL_PYTHON names a missing file) a finished run still exits 0: the missing picture is a
// warning that says how to draw it later, and no earlier picture is left to pass for this run's.
TEST(TrainCli, AFinishedRunWithoutPythonWarnsAndStillSucceeds) {
  const auto out = copy_of_reference("no_python");
  std::ofstream(out / "training_curves.png") << "an earlier picture";
  const auto r = run_train_cli(mpirun(2, tiny(out, {"--resume", "auto"})), "no_python",
                               {"CAGCL_PYTHON=" + (out / "no-such-python").string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("no training-curves picture"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("no-such-python"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out / "training_curves.png"));
  EXPECT_TRUE(fs::exists(out / "plot_training_curves.py"));
}

TEST(TrainCli, RankKilledInTheMiddleOfACheckpointResumesFromThePreviousOne) {
  const auto& ref = reference();
  const auto out = fresh("killed");
  const auto crashed = run_train_cli(mpirun(2, tiny(out)), "killed_1", {"CAGCL_DEBUG_KILL_IN_CHECKPOINT=1:6"});
  ASSERT_NE(crashed.exit_code, 0) << crashed.output;
  EXPECT_EQ(latest(out), "step-00000003");
  EXPECT_FALSE(fs::exists(out / "checkpoints" / "step-00000006" / "manifest.json"));
  const auto resumed = run_train_cli(mpirun(2, tiny(out, {"--resume", "auto"})), "killed_2");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("resumed from " + (out / "checkpoints" / "step-00000003").string()), std::string::npos)
      << resumed.output;
  EXPECT_EQ(losses(out), losses(ref));
  EXPECT_EQ(model_sha(out, "step-00000006"), model_sha(ref, "step-00000006"));
}

TEST(TrainCli, CorruptedNewestCheckpointFallsBackToThePreviousOneSayingWhy) {
  const auto out = copy_of_reference("corrupt");
  const auto shard = out / "checkpoints" / "step-00000006" / "optimizer-rank-00001-of-00002.safetensors";
  overwrite(shard, fs::file_size(shard) / 2, "\x55\xaa");
  // A longer schedule, so that there is work left after the fallback to step 3.
  const auto r = run_train_cli(mpirun(2, tiny(out, {"--resume", "auto", "--steps", "7"})), "corrupt");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("SHA-256 differs"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("optimizer-rank-00001-of-00002.safetensors"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("resumed from " + (out / "checkpoints" / "step-00000003").string()), std::string::npos)
      << r.output;
  EXPECT_EQ(latest(out), "step-00000007");
  // The damaged checkpoint is kept for inspection under another name, not deleted or overwritten.
  EXPECT_TRUE(fs::exists(out / "checkpoints" / "step-00000006.damaged" / "optimizer-rank-00001-of-00002.safetensors"));
}

// `cagcl export` (and `cagcl eval`, same resolution: launch/model_weights_path.hpp) of a run verifies its
// checkpoints and reads the newest good one, never a model file that differs from its manifest.
TEST(TrainCli, ExportOfARunSkipsADamagedNewestCheckpoint) {
  const auto out = copy_of_reference("export_damaged");
  const auto model = out / "checkpoints" / "step-00000006" / "model.safetensors";
  overwrite(model, fs::file_size(model) - 4, "\x55");
  const auto exported = work_root() / "export_damaged.safetensors";
  const auto r = run_train_cli({CAGCL_BINARY, "export", "--checkpoint", out.string(), "--out", exported.string()},
                               "export_damaged");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("model.safetensors: SHA-256 differs"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find((out / "checkpoints" / "step-00000003" / "model.safetensors").string()), std::string::npos)
      << r.output;
  // A step directory named explicitly must verify: no silent substitute.
  const auto named = run_train_cli({CAGCL_BINARY, "export", "--checkpoint",
                                    (out / "checkpoints" / "step-00000006").string(), "--out", exported.string()},
                                   "export_damaged_named");
  EXPECT_EQ(named.exit_code, 3) << named.output;
}

// `cagcl eval` of a run reads the newest good checkpoint too, and finds it once: the configuration and the
// weights come from the same resolution (one verification, one fallback warning).
TEST(TrainCli, EvalOfARunSkipsADamagedNewestCheckpointOnce) {
  const auto out = copy_of_reference("eval_damaged");
  const auto model = out / "checkpoints" / "step-00000006" / "model.safetensors";
  overwrite(model, fs::file_size(model) - 4, "\x55");
  const auto r =
      run_train_cli({CAGCL_BINARY, "eval", "--run", out.string(), "--data", (work_root() / "data").string(), "--split",
                     "all", "--limit", "4", "--templates", "fvlm", "--bootstrap", "10", "--no-plots", "--threads", "1",
                     "--out", (work_root() / "eval_damaged_report").string()},
                    "eval_damaged");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string fallback = "falling back to the previous one";
  const size_t first = r.output.find(fallback);
  ASSERT_NE(first, std::string::npos) << r.output;
  EXPECT_EQ(r.output.find(fallback, first + 1), std::string::npos) << "resolved more than once:\n" << r.output;
  EXPECT_NE(r.output.find((out / "checkpoints" / "step-00000003" / "model.safetensors").string()), std::string::npos)
      << r.output;
}

// Same global batch (2 x 2 = 1 x 4 = 4 x 1): the same samples in the same order, so the continued loss curve
// matches the 2-rank one up to float rounding of the reductions.
void expect_resume_on(int np, int batch, const std::string& name) {
  const auto& ref = reference();
  const auto out = fresh(name);
  const auto r = run_train_cli(mpirun(np, tiny(out, {"--resume", (ref / "checkpoints" / "step-00000003").string(),
                                                     "--set", "train.batch_size=" + std::to_string(batch)})),
                               name);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("world size 2 -> " + std::to_string(np)), std::string::npos) << r.output;
  const auto mine = losses(out), theirs = losses(ref);
  ASSERT_EQ(mine.size(), 3u);
  for (const auto& [step, loss] : mine)
    EXPECT_NEAR(loss, theirs.at(step), 1e-4 * std::abs(theirs.at(step)) + 1e-5) << step;
}

TEST(TrainCli, ResumesTwoRankCheckpointOnOneRank) { expect_resume_on(1, 4, "resume_np1"); }
TEST(TrainCli, ResumesTwoRankCheckpointOnFourRanks) { expect_resume_on(4, 1, "resume_np4"); }

TEST(TrainCli, Zero1GivesTheLossesOfPlainAdamW) {
  const auto& ref = reference();
  const auto out = fresh("zero1");
  const auto r = run_train_cli(mpirun(2, tiny(out, {"--set", "train.zero1=true"})), "zero1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto mine = losses(out), theirs = losses(ref);
  ASSERT_EQ(mine.size(), theirs.size());
  for (const auto& [step, loss] : mine)
    EXPECT_NEAR(loss, theirs.at(step), 1e-4 * std::abs(theirs.at(step)) + 1e-5) << step;
}

TEST(TrainCli, SigusrStopsAtAStepBoundaryWithACheckpointAndExitCode5) {
  reference();
  const auto out = fresh("signal");
  const auto log = work_root() / "signal.log";
  const pid_t pid = spawn(mpirun(2, tiny(out, {"--steps", "100000", "--checkpoint-every", "0"})), log);
  // Wait for the first step, then signal mpirun, which forwards SIGUSR1 to the ranks.
  bool started = false;
  for (int i = 0; i < 600 && !started; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    started = !losses(out).empty();
  }
  ASSERT_TRUE(started) << "no step within 60 s";
  kill(pid, SIGUSR1);
  const auto r = wait_for(pid, log);
  ASSERT_EQ(r.exit_code, 5) << r.output;
  EXPECT_NE(r.output.find("stop requested by signal"), std::string::npos) << r.output;
  const auto l = losses(out);
  ASSERT_FALSE(l.empty());
  EXPECT_EQ(latest(out), "step-" + std::string(8 - std::to_string(l.rbegin()->first).size(), '0') +
                             std::to_string(l.rbegin()->first));
}

TEST(TrainCli, ResumeWithAnotherModelShapeIsRefusedNamingTheKey) {
  const auto& ref = reference();
  const auto out = fresh("shape");
  const auto r = run_train_cli(mpirun(2, tiny(out, {"--resume", (ref / "checkpoints" / "step-00000003").string(),
                                                    "--set", "vision.depth=3", "--set", "vision.return_layers=[1,3]"})),
                               "shape");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("vision.depth: 2 in the checkpoint, 3 now"), std::string::npos) << r.output;
}

TEST(TrainCli, FreshRunRefusesARunDirectoryWithCheckpoints) {
  const auto& ref = reference();
  const auto r = run_train_cli(
      {CAGCL_BINARY, "train", "--config", "tiny", "--data", (work_root() / "data").string(), "--out", ref.string()},
      "refuse");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--resume auto"), std::string::npos) << r.output;
}

// `srun` without PMI starts N independent "rank 0 of 1" processes, which would all write the same run directory.
TEST(TrainCli, ASingletonStartedAsOneOfTwoSlurmStepTasksStopsNamingTheVariable) {
  reference();  // the dataset
  const auto out = fresh("no_pmi");
  const auto r = run_train_cli({CAGCL_BINARY, "train", "--config", "tiny", "--data", (work_root() / "data").string(),
                                "--out", out.string(), "--steps", "1"},
                               "no_pmi", {"SLURM_STEP_ID=0", "SLURM_STEP_NUM_TASKS=2", "SLURM_PROCID=1"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("SLURM_STEP_NUM_TASKS=2"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out / "checkpoints" / "LATEST"));
}

}  // namespace
}  // namespace cagcl
