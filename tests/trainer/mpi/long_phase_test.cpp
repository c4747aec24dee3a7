// Phases in which one rank works much longer than the others (rank 0 hashing a large model file in a foreground
// save, rank 0 choosing and verifying the checkpoint to resume from, shards hashed at start) must not be taken
// for a dead peer by the collective failure timeout, and the shard hashing must be split across the ranks, not
// repeated by each. Each test uses its own communicator with a failure timeout far shorter than the long phase.
#include <torch/torch.h>

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "comm/mpi_communicator.hpp"
#include "common/error.hpp"
#include "data/dataset_writer.hpp"
#include "tests/comm/mpi/mpi_test_env.hpp"
#include "tests/data/storage_test_util.hpp"
#include "trainer/checkpoint_store.hpp"
#include "trainer/collective_strings.hpp"
#include "trainer/dataset_split.hpp"

namespace cagcl::trainer {
namespace {

namespace fs = std::filesystem;
using mpi_test::world;

constexpr double kShortTimeoutS = 0.3;

std::shared_ptr<Communicator> short_timeout_comm() {
  CommOptions options;
  options.failure_timeout_s = kShortTimeoutS;
  return std::make_shared<MpiCommunicator>(options);
}

// A directory every rank sees under the same name (rank 0's pid), emptied first; removed at the end.
class SharedDir {
 public:
  explicit SharedDir(const std::string& tag) {
    auto pid = torch::tensor({static_cast<int64_t>(::getpid())}, torch::kLong);
    world()->broadcast(pid, 0);
    path_ = fs::temp_directory_path() / ("cagcl-long-phase-" + tag + "-" + std::to_string(pid.item<int64_t>()));
    if (world()->rank() == 0) {
      fs::remove_all(path_);
      fs::create_directories(path_);
    }
    world()->barrier();
  }
  ~SharedDir() {
    world()->barrier();
    if (world()->rank() == 0) fs::remove_all(path_);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

TEST(LongPhases, ForegroundSaveWhoseModelFileOutlastsTheFailureTimeoutCommits) {
  SharedDir run("save");
  const auto comm = short_timeout_comm();
  CheckpointStore store(run.path(), comm, 2);
  CheckpointSnapshot s;
  s.common.step = 1;
  s.common.total_steps = 10;
  s.common.batch_size = 2;
  s.common.config_hash = std::string(64, 'a');
  s.common.config_yaml = "train:\n  lr: 0.001\n";
  // Rank 0 alone writes and hashes the model: 384 MB take it well past the 0.3 s failure timeout.
  if (comm->rank() == 0) s.model["big"] = torch::ones({96 * 1024 * 1024});
  world()->barrier();  // filling the tensor is not part of the save
  const auto started = std::chrono::steady_clock::now();
  const CheckpointReport report = store.save(std::move(s));
  EXPECT_TRUE(report.ok);
  if (comm->rank() == 0) {
    // Otherwise the test would not show anything: the save must really outlast the failure timeout.
    EXPECT_GT(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(), kShortTimeoutS);
    EXPECT_EQ(verify_checkpoint(run.path() / "checkpoints" / step_dir_name(1)).step, 1);
  }
}

TEST(LongPhases, WorkOfRankZeroLongerThanTheFailureTimeoutReachesEveryRank) {
  const auto comm = short_timeout_comm();
  const std::string chosen = broadcast_string_from(*comm, 0, [] {
    std::this_thread::sleep_for(std::chrono::duration<double>(4 * kShortTimeoutS));
    return std::string("checkpoints/step-00000007");
  });
  EXPECT_EQ(chosen, "checkpoints/step-00000007");
}

void write_dataset(const fs::path& dir) {
  if (world()->rank() == 0) {
    data::DatasetWriter w(dir, data::testing::test_layout(), 8, 4, {{"command", "test"}, {"seed", 1}});
    for (int i = 0; i < 8; ++i) w.append(data::testing::make_sample(i));
    w.finish();
  }
  world()->barrier();
}

TEST(LongPhases, ShardChecksumsAreVerifiedOnceAcrossTheRanksNotOncePerRank) {
  SharedDir dir("dataset");
  write_dataset(dir.path());
  const auto dataset = open_dataset_together(*world(), dir.path(), {});
  auto verified = torch::tensor({static_cast<int64_t>(dataset->verified_bytes())}, torch::kLong);
  world()->all_reduce(verified, ReduceOp::sum);
  int64_t total = 0;
  for (const auto& shard : dataset->manifest().shards) total += static_cast<int64_t>(shard.bytes);
  EXPECT_EQ(verified.item<int64_t>(), total);
  EXPECT_EQ(dataset->size(), 8);
}

TEST(LongPhases, ACorruptShardFailsTheOpenOnEveryRankNamingIt) {
  SharedDir dir("corrupt");
  write_dataset(dir.path());
  const fs::path shard = dir.path() / "shard-00001.h5";
  if (world()->rank() == 0) data::testing::flip_byte(shard, fs::file_size(shard) / 2);
  world()->barrier();
  try {
    open_dataset_together(*world(), dir.path(), {});
    ADD_FAILURE() << "rank " << world()->rank() << " opened a dataset with a corrupt shard";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("shard-00001.h5"), std::string::npos) << e.what();
  }
}

// libhdf5 does not survive every damaged file (docs/reliability.md): the checksum is the guard, so no rank may
// parse a shard before the rank that hashes it has said it is intact. The damage here (the HDF5 signature) would
// make a rank that parsed it first fail with libhdf5's own complaint instead of the checksum.
TEST(LongPhases, NoRankParsesAShardBeforeItsChecksumIsKnownToBeGood) {
  SharedDir dir("signature");
  write_dataset(dir.path());
  const fs::path shard = dir.path() / "shard-00001.h5";
  if (world()->rank() == 0) data::testing::flip_byte(shard, 1);  // "\x89HDF": the H
  world()->barrier();
  try {
    open_dataset_together(*world(), dir.path(), {});
    ADD_FAILURE() << "rank " << world()->rank() << " opened a dataset with a damaged shard";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("sha256"), std::string::npos)
        << "rank " << world()->rank() << ": " << e.what();
  }
}

}  // namespace
}  // namespace cagcl::trainer
