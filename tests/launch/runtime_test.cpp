// The launcher's word on the world size against MPI's (launch/runtime.hpp): `srun` without PMI starts N
// independent "rank 0 of 1" processes, which must stop instead of training N times into one run directory.
#include <gtest/gtest.h>
#include <sched.h>

#include <map>
#include <string>
#include <vector>

#include "launch/runtime.hpp"

namespace cagcl {
namespace {

std::function<const char*(const char*)> environment(std::map<std::string, std::string> values) {
  auto held = std::make_shared<std::map<std::string, std::string>>(std::move(values));
  return [held](const char* name) -> const char* {
    const auto it = held->find(name);
    return it == held->end() ? nullptr : it->second.c_str();
  };
}

TEST(WorldSizeDisagreement, NoLauncherVariablesMeansNothingToCompare) {
  EXPECT_FALSE(world_size_disagreement(1, environment({})).has_value());
  EXPECT_FALSE(world_size_disagreement(4, environment({{"SLURM_NTASKS", "8"}})).has_value());  // a batch script
}

TEST(WorldSizeDisagreement, EachLauncherVariableIsComparedAndNamed) {
  for (const std::string name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_STEP_NUM_TASKS"}) {
    EXPECT_FALSE(world_size_disagreement(2, environment({{name, "2"}})).has_value()) << name;
    const auto why = world_size_disagreement(1, environment({{name, "2"}}));
    ASSERT_TRUE(why.has_value()) << name;
    EXPECT_NE(why->find(name + "=2"), std::string::npos) << *why;
  }
  const auto in_step = world_size_disagreement(1, environment({{"SLURM_STEP_ID", "0"}, {"SLURM_NTASKS", "4"}}));
  ASSERT_TRUE(in_step.has_value());
  EXPECT_NE(in_step->find("SLURM_NTASKS=4"), std::string::npos) << *in_step;
}

TEST(WorldSizeDisagreement, OnlyTheFirstLauncherVariableCountsUnderMpirunInASlurmJob) {
  // mpirun's daemons form the Slurm step: one task per node, not per rank.
  const auto env = environment(
      {{"OMPI_COMM_WORLD_SIZE", "4"}, {"SLURM_STEP_ID", "0"}, {"SLURM_STEP_NUM_TASKS", "2"}, {"SLURM_NTASKS", "2"}});
  EXPECT_FALSE(world_size_disagreement(4, env).has_value());
  EXPECT_TRUE(world_size_disagreement(3, env).has_value());
}

TEST(WorldSizeDisagreement, ValuesThatAreNotATaskCountAreIgnored) {
  for (const std::string value : {"", "two", "0", "-3", "2x"})
    EXPECT_FALSE(world_size_disagreement(1, environment({{"PMI_SIZE", value}})).has_value()) << value;
}

TEST(CpuAffinity, ListsAreWrittenAsRangesLikeCpusAllowedList) {
  EXPECT_EQ(format_cpu_list({}), "");
  EXPECT_EQ(format_cpu_list({0}), "0");
  EXPECT_EQ(format_cpu_list({0, 1}), "0-1");
  EXPECT_EQ(format_cpu_list({0, 1, 2, 3, 8, 10, 11}), "0-3,8,10-11");
  EXPECT_EQ(format_cpu_list({1, 3, 5}), "1,3,5");
}

TEST(CpuAffinity, AllowedCpusAreTheMaskOfTheCallingThread) {
  cpu_set_t saved;
  ASSERT_EQ(sched_getaffinity(0, sizeof(saved), &saved), 0);
  const std::vector<int> all = allowed_cpus_of_this_process();
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(static_cast<int>(all.size()), CPU_COUNT(&saved));
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(all.back(), &one);
  ASSERT_EQ(sched_setaffinity(0, sizeof(one), &one), 0);
  const std::vector<int> bound = allowed_cpus_of_this_process();
  ASSERT_EQ(sched_setaffinity(0, sizeof(saved), &saved), 0);
  EXPECT_EQ(bound, std::vector<int>{all.back()});
}

TEST(SlurmIds, AreOwnUnderSrunWhereEachRankIsATask) {
  EXPECT_TRUE(slurm_ids_are_own(1, 2, environment({{"SLURM_PROCID", "1"}, {"SLURM_STEP_NUM_TASKS", "2"}})));
  EXPECT_FALSE(slurm_ids_are_own(1, 2, environment({{"SLURM_PROCID", "0"}, {"SLURM_STEP_NUM_TASKS", "2"}})));
}

TEST(SlurmIds, AreNotOwnUnderMpirunWhoseRanksInheritTheDaemonsIds) {
  // Every rank of a node sees its daemon's task: procid 0 of a 1-task step (measured with Open MPI 4.1 and
  // Slurm 22.05). Even where the numbers happen to match (rank 0), they are not the rank's.
  for (int rank : {0, 1})
    EXPECT_FALSE(slurm_ids_are_own(
        rank, 2, environment({{"OMPI_COMM_WORLD_SIZE", "2"}, {"SLURM_PROCID", "0"}, {"SLURM_STEP_NUM_TASKS", "1"}})))
        << rank;
  EXPECT_FALSE(slurm_ids_are_own(
      1, 2, environment({{"OMPI_COMM_WORLD_SIZE", "2"}, {"SLURM_PROCID", "1"}, {"SLURM_STEP_NUM_TASKS", "2"}})));
}

TEST(SlurmIds, InTheBatchStepOnlyASingleProcessIsTaskZero) {
  EXPECT_TRUE(slurm_ids_are_own(0, 1, environment({{"SLURM_PROCID", "0"}})));
  EXPECT_FALSE(slurm_ids_are_own(0, 2, environment({{"SLURM_PROCID", "0"}})));
  EXPECT_FALSE(slurm_ids_are_own(0, 1, environment({})));
}

}  // namespace
}  // namespace cagcl
