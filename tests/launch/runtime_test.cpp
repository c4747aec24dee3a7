// The launcher's word on the world size against MPI's (launch/runtime.hpp): `srun` without PMI starts N
// independent "rank 0 of 1" processes, which must stop instead of training N times into one run directory.
#include <gtest/gtest.h>

#include <map>
#include <string>

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

}  // namespace
}  // namespace cagcl
