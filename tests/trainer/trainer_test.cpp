// The Trainer in-process: one rank with the single-process communicator and tiny phantoms held in memory, so the
// resume rules, the set-aside of newer steps, the stop flag, the validation schedule and the observers are
// pinned down without mpirun or a dataset on disk.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <csignal>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "comm/self_communicator.hpp"
#include "common/checksum.hpp"
#include "common/error.hpp"
#include "config/config.hpp"
#include "data/phantom/phantom.hpp"
#include "data/text_pipeline.hpp"
#include "data/tokenizer.hpp"
#include "data/vocab_builder.hpp"
#include "tests/common/temp_dir.hpp"
#include "trainer/data_parallel_adamw.hpp"
#include "trainer/stop_signal.hpp"
#include "trainer/trainer.hpp"

namespace cagcl::trainer {
namespace {

namespace fs = std::filesystem;

// Every report, in order, as "start", "step N", "validation N", "checkpoint N", "finish".
struct Recorder : TrainingObserver {
  std::vector<std::string> events;
  std::vector<ValidationReport> validations;
  RunInfo info;
  int signal_at_step = 0;  // > 0: raise SIGUSR1 while reporting that step
  void on_start(const RunInfo& i) override {
    info = i;
    events.push_back("start");
  }
  void on_step(const StepReport& r) override {
    events.push_back("step " + std::to_string(r.step));
    if (r.step == signal_at_step) std::raise(SIGUSR1);
  }
  void on_validation(const ValidationReport& r) override {
    validations.push_back(r);
    events.push_back("validation " + std::to_string(r.step));
  }
  void on_checkpoint(const CheckpointReport& r) override { events.push_back("checkpoint " + std::to_string(r.step)); }
  void on_finish() override { events.push_back("finish"); }
  std::vector<std::string> only(const std::string& prefix) const {
    std::vector<std::string> out;
    for (const auto& e : events)
      if (e.rfind(prefix, 0) == 0) out.push_back(e);
    return out;
  }
};

struct FakeLiveValidation : LiveValidation {
  int calls = 0;
  std::optional<ZeroShotFigures> score(model::CagclModel&, Communicator&, int64_t step) override {
    ++calls;
    ZeroShotFigures f;
    f.macro_auc_mean = 0.5 + 0.01 * static_cast<double>(step);
    return f;
  }
};

// Tiny phantoms rendered once for the whole suite: 8 train and 4 validation samples, and their vocabulary.
class TrainerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    config_ = std::make_unique<Config>(load_config(
        "tiny", {"train.steps=4", "train.checkpoint_every=1", "train.keep_checkpoints=10", "train.val_every=2"}));
    data::phantom::PhantomOptions po;
    po.size = {config_->synth.size[0], config_->synth.size[1], config_->synth.size[2]};
    po.seed = 7;
    data::VocabBuilder vocab(data::phantom::anatomies(), data::phantom::labels());
    for (const auto& plan : data::phantom::plan_cohort(12, po)) {
      samples_->push_back(data::phantom::render(plan, po));
      vocab.add_sample(samples_->back());
    }
    vocab_dir_ = std::make_unique<test_support::TempDir>();
    vocab.write(vocab_dir_->path() / "vocab.txt");
    tokenizer_ = std::make_shared<const data::Tokenizer>(data::Tokenizer::from_file(vocab_dir_->path() / "vocab.txt"));
  }
  static void TearDownTestSuite() {
    vocab_dir_.reset();
    samples_->clear();
  }
  void TearDown() override { clear_stop_request(); }

  TrainerOptions options(const std::string& resume = "") const {
    TrainerOptions o;
    o.config = *config_;
    o.run_dir = run_.path() / "run";
    o.resume = resume;
    o.metrics_log = false;
    o.progress_log = false;
    return o;
  }

  SplitData split(int64_t first, int64_t count, bool train) const {
    auto samples = samples_;
    SplitData s;
    s.source = [samples, first](int64_t i) { return samples->at(static_cast<size_t>(first + i)); };
    s.sampler.num_samples = count;
    s.sampler.batch_size = config_->train.batch_size;
    s.sampler.seed = config_->train.seed;
    s.sampler.shuffle = train;
    s.sampler.drop_last = train;
    s.loader.train = train;
    s.loader.crop = config_->data.crop;
    s.loader.workers = 1;
    s.loader.prefetch = 1;
    s.loader.seed = config_->train.seed;
    s.loader.num_anatomies = static_cast<int64_t>(config_->data.anatomies.size());
    s.loader.num_labels = static_cast<int64_t>(data::phantom::labels().size());
    return s;
  }

  // What the command's assembly builds, from memory: the model of train.seed, AdamW, the store, the recorder.
  TrainingParts parts(const TrainerOptions& o) {
    TrainingParts p;
    p.comm = std::make_shared<TimedCommunicator>(std::make_shared<SelfCommunicator>());
    p.train = split(0, 8, true);
    p.valid = split(8, 4, false);
    p.text = data::make_text_pipeline(tokenizer_, o.config.data.anatomies, {}, o.config.train.seed,
                                      o.config.text.max_length);
    torch::manual_seed(o.config.train.seed);
    p.model = model::CagclModel(o.config, tokenizer_->vocab_size());
    for (const auto& item : p.model->named_parameters(true)) p.params.push_back({item.key(), item.value()});
    for (const auto& item : p.model->named_buffers(true)) p.buffers.push_back({item.key(), item.value()});
    p.optimizer = std::make_unique<DataParallelAdamW>(p.comm, p.params, AdamWOptions{}, GradSyncOptions{});
    p.schedule = {o.config.train.lr, o.config.train.warmup_lr, o.config.train.min_lr, o.config.train.warmup_steps,
                  o.config.train.steps};
    fs::create_directories(o.run_dir / "checkpoints");
    p.store = std::make_unique<CheckpointStore>(o.run_dir, p.comm, o.config.train.keep_checkpoints);
    recorder = std::make_shared<Recorder>();
    p.observers.push_back(recorder);
    return p;
  }

  TrainResult run(const TrainerOptions& o) { return Trainer(o, {}, parts(o)).run(); }

  static std::unique_ptr<Config> config_;
  static std::shared_ptr<std::vector<data::Sample>> samples_;
  static std::unique_ptr<test_support::TempDir> vocab_dir_;
  static std::shared_ptr<const data::Tokenizer> tokenizer_;
  test_support::TempDir run_;
  std::shared_ptr<Recorder> recorder;
};

std::unique_ptr<Config> TrainerTest::config_;
std::shared_ptr<std::vector<data::Sample>> TrainerTest::samples_ = std::make_shared<std::vector<data::Sample>>();
std::unique_ptr<test_support::TempDir> TrainerTest::vocab_dir_;
std::shared_ptr<const data::Tokenizer> TrainerTest::tokenizer_;

TEST_F(TrainerTest, ObserversSeeStartStepsValidationsCheckpointsAndFinishInOrder) {
  const auto result = run(options());
  EXPECT_TRUE(result.finished);
  EXPECT_EQ(result.step, 4);
  const std::vector<std::string> expected = {"start",        "validation 0", "step 1", "checkpoint 1", "step 2",
                                             "validation 2", "checkpoint 2", "step 3", "checkpoint 3", "step 4",
                                             "validation 4", "checkpoint 4", "finish"};
  EXPECT_EQ(recorder->events, expected);
  EXPECT_EQ(recorder->info.invocation, 1);
  EXPECT_EQ(result.losses.size(), 4u);
  EXPECT_EQ(result.checkpoint, (options().run_dir / "checkpoints" / step_dir_name(4)).string());
}

TEST_F(TrainerTest, ValidatesAtTheEndWhenTheLastStepIsNotAValidationStep) {
  auto o = options();
  o.config.train.val_every = 3;
  run(o);
  EXPECT_EQ(recorder->only("validation"), (std::vector<std::string>{"validation 0", "validation 3", "validation 4"}));
}

TEST_F(TrainerTest, ValidationEveryZeroValidatesOnlyAtTheEnd) {
  auto o = options();
  o.config.train.val_every = 0;
  run(o);
  EXPECT_EQ(recorder->only("validation"), (std::vector<std::string>{"validation 4"}));
}

TEST_F(TrainerTest, LiveValidationFiguresReachTheValidationReports) {
  auto o = options();
  auto p = parts(o);
  auto live = std::make_shared<FakeLiveValidation>();
  p.live_validation = live;
  Trainer(o, {}, std::move(p)).run();
  EXPECT_EQ(live->calls, 3);  // steps 0, 2, 4
  ASSERT_EQ(recorder->validations.size(), 3u);
  for (const auto& v : recorder->validations) {
    ASSERT_TRUE(v.zero_shot.has_value());
    EXPECT_DOUBLE_EQ(v.zero_shot->macro_auc_mean, 0.5 + 0.01 * static_cast<double>(v.step));
    EXPECT_TRUE(std::isfinite(v.loss_total));
  }
}

TEST_F(TrainerTest, StopAfterStepsThenResumeAutoRepeatsTheUninterruptedRunExactly) {
  const auto straight = run(options());
  std::vector<torch::Tensor> uninterrupted;
  {
    // The uninterrupted run's final weights, read back from its last checkpoint.
    const auto loaded = load_checkpoint(straight.checkpoint);
    for (const auto& [name, t] : loaded.model) uninterrupted.push_back(t);
  }
  fs::remove_all(options().run_dir);

  auto first = options();
  first.stop_after_steps = 2;
  const auto stopped = run(first);
  EXPECT_FALSE(stopped.finished);
  EXPECT_EQ(stopped.step, 2);
  EXPECT_EQ(recorder->only("checkpoint").back(), "checkpoint 2");
  const auto resumed = run(options("auto"));
  EXPECT_TRUE(resumed.finished);
  EXPECT_EQ(recorder->info.invocation, 2);
  EXPECT_EQ(recorder->only("step"), (std::vector<std::string>{"step 3", "step 4"}));
  // The losses of steps 3 and 4 and the final weights equal the uninterrupted run's, bit for bit.
  ASSERT_EQ(resumed.losses.size(), 2u);
  EXPECT_EQ(resumed.losses[0], straight.losses[2]);
  EXPECT_EQ(resumed.losses[1], straight.losses[3]);
  const auto loaded = load_checkpoint(resumed.checkpoint);
  size_t i = 0;
  for (const auto& [name, t] : loaded.model) EXPECT_TRUE(torch::equal(t, uninterrupted.at(i++))) << name;
}

TEST_F(TrainerTest, AFreshRunRefusesARunDirectoryWithCheckpoints) {
  run(options());
  try {
    run(options(""));
    FAIL() << "a second fresh run into the same directory was accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--resume auto"), std::string::npos) << e.what();
  }
}

TEST_F(TrainerTest, ResumeAutoWithoutCheckpointsStartsFromStepZero) {
  const auto result = run(options("auto"));
  EXPECT_TRUE(result.finished);
  EXPECT_EQ(recorder->only("step").front(), "step 1");
}

TEST_F(TrainerTest, ResumingACompleteRunTrainsNothingAndValidatesOnce) {
  run(options());
  const auto again = run(options("auto"));
  EXPECT_TRUE(again.finished);
  EXPECT_EQ(again.step, 4);
  EXPECT_EQ(recorder->events, (std::vector<std::string>{"start", "validation 4", "finish"}));
}

TEST_F(TrainerTest, ResumingAnEarlierStepSetsTheNewerStepsAsideAndTrainsThemAgain) {
  run(options());
  const fs::path checkpoints = options().run_dir / "checkpoints";
  const auto resumed = run(options((checkpoints / step_dir_name(2)).string()));
  EXPECT_TRUE(resumed.finished);
  EXPECT_EQ(recorder->only("step"), (std::vector<std::string>{"step 3", "step 4"}));
  // The steps after 2 were renamed aside before the run committed them again.
  EXPECT_TRUE(fs::exists(checkpoints / (step_dir_name(3) + ".damaged")));
  EXPECT_TRUE(fs::exists(checkpoints / (step_dir_name(4) + ".damaged")));
  EXPECT_TRUE(fs::exists(checkpoints / step_dir_name(4) / kCheckpointManifestName));
  EXPECT_EQ(resolve_checkpoint(options().run_dir.string()), (checkpoints / step_dir_name(4)).string());
}

TEST_F(TrainerTest, ResumingAnotherRunsCheckpointIntoARunWithCommittedStepsIsRefusedAndKeepsThem) {
  run(options());  // the run in --out: steps 1..4 committed
  const fs::path checkpoints = options().run_dir / "checkpoints";
  std::map<std::string, std::string> before;
  for (const auto& entry : fs::directory_iterator(checkpoints))
    if (fs::exists(entry.path() / kCheckpointManifestName))
      before[entry.path().filename().string()] = sha256_file(entry.path() / kModelFileName);
  ASSERT_FALSE(before.empty());

  auto other = options();
  other.run_dir = run_.path() / "other";
  other.stop_after_steps = 2;
  run(other);
  try {
    run(options((other.run_dir / "checkpoints" / step_dir_name(2)).string()));
    FAIL() << "resuming another run's checkpoint into a run with committed checkpoints was accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--out"), std::string::npos) << e.what();
  }
  std::map<std::string, std::string> after;
  for (const auto& entry : fs::directory_iterator(checkpoints))
    if (fs::exists(entry.path() / kCheckpointManifestName))
      after[entry.path().filename().string()] = sha256_file(entry.path() / kModelFileName);
  EXPECT_EQ(after, before);
  EXPECT_EQ(resolve_checkpoint(options().run_dir.string()), (checkpoints / step_dir_name(4)).string());
}

TEST_F(TrainerTest, AStopSignalCheckpointsAtTheNextStepBoundaryAndReportsTheSignal) {
  auto o = options();
  o.config.train.checkpoint_every = 0;
  auto p = parts(o);
  recorder->signal_at_step = 1;  // arrives after step 1's boundary: step 2's boundary sees it
  const auto result = Trainer(o, {}, std::move(p)).run();
  EXPECT_FALSE(result.finished);
  EXPECT_EQ(result.stop_signal, SIGUSR1);
  EXPECT_EQ(result.step, 2);
  EXPECT_EQ(recorder->only("checkpoint"), (std::vector<std::string>{"checkpoint 2"}));
  EXPECT_EQ(recorder->events.back(), "finish");
}

}  // namespace
}  // namespace cagcl::trainer
