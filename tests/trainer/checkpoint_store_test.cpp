// The checkpoint store on one rank (SelfCommunicator): commit order, verification, fallback, pruning, the
// manifest's checks. Multi-rank saves and resumes are tested end to end in train_cli_test.cpp.
#include <torch/torch.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

#include "comm/self_communicator.hpp"
#include "common/error.hpp"
#include "trainer/checkpoint_store.hpp"

#include "tests/common/file_size_limit.hpp"
#include "tests/common/temp_dir.hpp"

namespace cagcl::trainer {
namespace {
namespace fs = std::filesystem;

class CheckpointStoreTest : public ::testing::Test {
 protected:
  CheckpointSnapshot snapshot(int64_t step) {
    CheckpointSnapshot s;
    s.common.step = step;
    s.common.total_steps = 100;
    s.common.batch_size = 2;
    s.common.sampler_position = step * 2;
    s.common.config_hash = std::string(64, 'a');
    s.common.config_yaml = "train:\n  lr: 0.001\n";
    s.model["w"] = torch::arange(12, torch::kFloat).reshape({3, 4}) * static_cast<double>(step);
    s.model["b"] = torch::ones({4});
    s.optimizer.push_back({"w", 0, torch::full({12}, 0.5), torch::full({12}, 0.25)});
    s.optimizer.push_back({"b", 0, torch::full({4}, 1.5), torch::full({4}, 2.5)});
    s.cpu_rng = "00ff";
    return s;
  }
  fs::path step_dir(int64_t step) { return run_ / "checkpoints" / step_dir_name(step); }
  std::string latest() {
    std::ifstream in(run_ / "checkpoints" / kLatestFileName);
    std::string name;
    in >> name;
    return name;
  }

  cagcl::test_support::TempDir temp_;
  fs::path run_ = temp_.path();
  std::shared_ptr<Communicator> comm_ = std::make_shared<SelfCommunicator>();
};

TEST_F(CheckpointStoreTest, SaveWritesModelShardManifestAndLatestLast) {
  CheckpointStore store(run_, comm_, 3);
  const auto report = store.save(snapshot(5));
  EXPECT_TRUE(report.ok);
  EXPECT_EQ(report.step, 5);
  EXPECT_GT(report.bytes, 0);
  EXPECT_EQ(latest(), "step-00000005");
  EXPECT_TRUE(fs::exists(step_dir(5) / kModelFileName));
  EXPECT_TRUE(fs::exists(step_dir(5) / optimizer_file_name(0, 1)));
  const auto m = verify_checkpoint(step_dir(5));
  EXPECT_EQ(m.step, 5);
  EXPECT_EQ(m.sampler_position, 10);
  EXPECT_EQ(m.world_size, 1);
  ASSERT_EQ(m.ranks.size(), 1u);
  EXPECT_EQ(m.ranks[0].cpu_rng, "00ff");
  EXPECT_EQ(m.files.size(), 2u);
  for (const auto& entry : fs::directory_iterator(step_dir(5)))
    EXPECT_EQ(entry.path().extension() == ".tmp", false) << "temporary file left: " << entry.path();
}

// Each rank's outcome travels to the others as JSON; an error naming a path that is not UTF-8 must still get
// there, and the save end as the I/O error it is.
TEST_F(CheckpointStoreTest, AFailedSaveUnderAPathThatIsNotUtf8IsAnIoErrorNamingTheStep) {
  const fs::path run = run_ / "run-\xff";
  CheckpointStore store(run, comm_, 3);
  store.save(snapshot(4));
  try {
    const cagcl::test_support::FileSizeLimit full_disk(64);  // less than a safetensors header
    store.save(snapshot(5));
    FAIL() << "expected an IoError";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("step-00000005"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("not committed"), std::string::npos) << e.what();
  }
  EXPECT_EQ(verify_checkpoint(run / "checkpoints" / step_dir_name(4)).step, 4);  // the committed one stays
}

TEST_F(CheckpointStoreTest, LoadReturnsTheSavedTensorsAndPieces) {
  CheckpointStore store(run_, comm_, 3);
  store.save(snapshot(2));
  const auto loaded = load_checkpoint(resolve_checkpoint(run_.string()));
  EXPECT_TRUE(torch::equal(loaded.model.at("w"), torch::arange(12, torch::kFloat).reshape({3, 4}) * 2.0));
  ASSERT_EQ(loaded.optimizer.size(), 2u);
  std::map<std::string, int64_t> numels = {{"w", 12}, {"b", 4}};
  const auto state = assemble_state(loaded.manifest.step, loaded.optimizer, numels, "test");
  EXPECT_TRUE(torch::equal(state.moments.at("b").second, torch::full({4}, 2.5)));
}

TEST_F(CheckpointStoreTest, KeepsOnlyTheNewestK) {
  CheckpointStore store(run_, comm_, 2);
  for (int64_t step : {1, 2, 3, 4}) store.save(snapshot(step));
  EXPECT_FALSE(fs::exists(step_dir(1)));
  EXPECT_FALSE(fs::exists(step_dir(2)));
  EXPECT_TRUE(fs::exists(step_dir(3)));
  EXPECT_TRUE(fs::exists(step_dir(4)));
}

TEST_F(CheckpointStoreTest, TruncatedShardIsDetectedAndResumeFallsBackToThePreviousCheckpoint) {
  CheckpointStore store(run_, comm_, 3);
  store.save(snapshot(1));
  store.save(snapshot(2));
  const auto shard = step_dir(2) / optimizer_file_name(0, 1);
  fs::resize_file(shard, fs::file_size(shard) - 7);
  try {
    verify_checkpoint(step_dir(2));
    FAIL() << "truncation not detected";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find(optimizer_file_name(0, 1)), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
  }
  EXPECT_EQ(fs::path(resolve_checkpoint(run_.string())).filename(), "step-00000001");
}

TEST_F(CheckpointStoreTest, CorruptedModelFileIsDetectedBySha256) {
  CheckpointStore store(run_, comm_, 3);
  store.save(snapshot(1));
  store.save(snapshot(2));
  const auto model = step_dir(2) / kModelFileName;
  {
    std::fstream f(model, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(model) - 3));
    f.put('\x7f');
  }
  EXPECT_THROW(verify_checkpoint(step_dir(2)), DataError);
  EXPECT_EQ(fs::path(resolve_checkpoint(run_.string())).filename(), "step-00000001");
  // An explicitly named damaged checkpoint is an error, not a silent substitution.
  EXPECT_THROW(resolve_checkpoint(step_dir(2).string()), DataError);
}

TEST_F(CheckpointStoreTest, DirectoryWithoutManifestIsNeverLoaded) {
  CheckpointStore store(run_, comm_, 3);
  store.save(snapshot(1));
  store.save(snapshot(2));
  fs::remove(step_dir(2) / kCheckpointManifestName);  // as if the save died before its commit
  EXPECT_EQ(fs::path(resolve_checkpoint(run_.string())).filename(), "step-00000001");
}

TEST_F(CheckpointStoreTest, NoGoodCheckpointIsAnErrorNamingTheReasons) {
  CheckpointStore store(run_, comm_, 3);
  store.save(snapshot(1));
  fs::remove(step_dir(1) / kModelFileName);
  try {
    resolve_checkpoint(run_.string());
    FAIL();
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find(kModelFileName), std::string::npos) << e.what();
  }
}

TEST_F(CheckpointStoreTest, BackgroundSaveCommitsOnlyWhenFinished) {
  CheckpointStore store(run_, comm_, 3);
  store.save(snapshot(1));
  store.begin_save(snapshot(2));
  EXPECT_TRUE(store.pending());
  // Until the commit, LATEST still names the previous checkpoint.
  std::optional<CheckpointReport> committed;
  for (int i = 0; i < 2000 && !committed; ++i) {
    if (!(committed = store.poll())) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (!committed) {
      EXPECT_EQ(latest(), "step-00000001");
    }
  }
  ASSERT_TRUE(committed);
  EXPECT_EQ(committed->step, 2);
  EXPECT_EQ(latest(), "step-00000002");
  EXPECT_FALSE(store.pending());
  verify_checkpoint(step_dir(2));
}

// A kill during a save leaves a step directory without a manifest. Resuming must delete it, not keep it as
// ".damaged" forever: each pre-emption would leak a checkpoint's worth of disk.
TEST_F(CheckpointStoreTest, SetAsideRemovesAnUnfinishedSaveAndKeepsACommittedOne) {
  {
    CheckpointStore store(run_, comm_, 5);
    store.save(snapshot(1));
    store.save(snapshot(2));
  }
  fs::create_directories(step_dir(3));
  std::ofstream(step_dir(3) / kModelFileName) << "half a model";
  const auto moved = set_aside_checkpoints_after(run_ / "checkpoints", 1);
  EXPECT_FALSE(fs::exists(step_dir(3))) << "the unfinished save is still there";
  fs::path damaged2 = step_dir(2);
  damaged2 += ".damaged";
  EXPECT_TRUE(fs::exists(damaged2)) << "a committed newer step is set aside, not deleted";
  for (const auto& entry : fs::directory_iterator(run_ / "checkpoints"))
    EXPECT_EQ(entry.path().filename().string().rfind(step_dir_name(3), 0), std::string::npos) << entry.path();
  EXPECT_EQ(latest(), step_dir_name(1));
}

// Set-aside directories are bounded: only the newest kKeepDamagedCheckpoints stay.
TEST_F(CheckpointStoreTest, OnlyTheNewestDamagedDirectoriesAreKept) {
  for (int64_t round = 0; round < 5; ++round) {
    {
      CheckpointStore store(run_, comm_, 10);
      store.save(snapshot(10 * round + 1));
      store.save(snapshot(10 * round + 2));
    }
    set_aside_checkpoints_after(run_ / "checkpoints", 10 * round + 1);
  }
  int64_t damaged = 0;
  for (const auto& entry : fs::directory_iterator(run_ / "checkpoints"))
    if (entry.path().filename().string().find(".damaged") != std::string::npos) ++damaged;
  EXPECT_EQ(damaged, kKeepDamagedCheckpoints);
  fs::path newest = step_dir(42);
  newest += ".damaged";
  EXPECT_TRUE(fs::exists(newest));
}

// Pruning keeps the newest K committed checkpoints: a step directory without a manifest takes no slot (and goes).
TEST_F(CheckpointStoreTest, PruningDoesNotCountDirectoriesWithoutAManifest) {
  CheckpointStore store(run_, comm_, 2);
  store.save(snapshot(1));
  fs::create_directories(step_dir(2));  // an unfinished save of an earlier invocation
  store.save(snapshot(3));
  EXPECT_TRUE(fs::exists(step_dir(1) / kCheckpointManifestName)) << "the older committed checkpoint was pruned";
  EXPECT_FALSE(fs::exists(step_dir(2)));
  EXPECT_TRUE(fs::exists(step_dir(3) / kCheckpointManifestName));
}

TEST(CheckpointManifest, RejectsFieldsThatDoNotFit) {
  CheckpointManifest m;
  m.world_size = 2;
  m.files = {{kModelFileName, 0, 10, std::string(64, '0')},
             {"opt0", 0, 10, std::string(64, '0')},
             {"opt1", 1, 10, std::string(64, '0')}};
  m.ranks = {{0, "opt0", {}, "", ""}, {1, "opt1", {}, "", ""}};
  EXPECT_NO_THROW(CheckpointManifest::from_json(m.to_json(), "m"));
  auto j = m.to_json();
  j["ranks"].erase(1);
  EXPECT_THROW(CheckpointManifest::from_json(j, "m"), DataError);  // fewer ranks than world_size
  j = m.to_json();
  j["files"][1]["name"] = "../escape";
  EXPECT_THROW(CheckpointManifest::from_json(j, "m"), DataError);
  j = m.to_json();
  j["step"] = -1;
  try {
    CheckpointManifest::from_json(j, "m");
    FAIL();
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("'step'"), std::string::npos) << e.what();
  }
}

TEST(CheckpointManifest, StepDirectoryNamesRoundTrip) {
  EXPECT_EQ(step_dir_name(1200), "step-00001200");
  EXPECT_EQ(parse_step_dir_name("step-00001200"), 1200);
  EXPECT_EQ(parse_step_dir_name("step-12a"), -1);
  EXPECT_EQ(parse_step_dir_name("LATEST"), -1);
}

}  // namespace
}  // namespace cagcl::trainer
