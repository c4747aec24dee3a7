// Debug mode: ranks calling different collectives get an error naming both calls, not a hang.
#include <torch/torch.h>

#include <gtest/gtest.h>

#include "comm/sequence_checked_communicator.hpp"
#include "common/error.hpp"
#include "tests/comm/mpi/mpi_test_env.hpp"

namespace cagcl {
namespace {

TEST(SequenceCheck, MatchingCallsPass) {
  SequenceCheckedCommunicator comm(mpi_test::world());
  auto t = torch::ones({4});
  comm.all_reduce(t);
  comm.broadcast(t, 0);
  comm.barrier();
  EXPECT_EQ(comm.sequence(), 3);
  EXPECT_TRUE(t.equal(torch::full({4}, float(comm.size()))));
}

TEST(SequenceCheck, MismatchThrowsNamingBothRanksCalls) {
  SequenceCheckedCommunicator comm(mpi_test::world());
  auto t = torch::ones({4});
  try {
    if (comm.rank() == 0)
      comm.all_reduce(t);
    else
      comm.broadcast(t, 0);
    FAIL() << "expected a CommError on rank " << comm.rank();
  } catch (const CommError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("collective order mismatch"), std::string::npos) << what;
    EXPECT_NE(what.find("#0 all_reduce(Float, 4 elements, sum)"), std::string::npos) << what;
    EXPECT_NE(what.find("#0 broadcast(Float, 4 elements, root 0)"), std::string::npos) << what;
    EXPECT_NE(what.find("rank " + std::to_string(comm.rank()) + " called"), std::string::npos) << what;
  }
}

TEST(SequenceCheck, SizeMismatchIsCaught) {
  SequenceCheckedCommunicator comm(mpi_test::world());
  auto t = torch::ones({comm.rank() == 0 ? 3 : 5});
  EXPECT_THROW(comm.all_reduce(t), CommError);
}

}  // namespace
}  // namespace cagcl
