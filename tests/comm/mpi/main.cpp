// main of cagcl_mpi_tests: MPI comes up through the project's bootstrap (Runtime), gtest runs on every rank,
// and the ranks agree on the verdict (any rank failing fails the job). Two sub-modes exercise failure
// handling for CTest (tests/CMakeLists.txt): --cagcl-fail-rank=R (rank R throws while the others wait in a
// barrier) and --cagcl-hang-rank=R (rank R never joins; the others' failure timeout ends the job).
#include <torch/torch.h>

#include <gtest/gtest.h>
#include <mpi.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "comm/mpi_communicator.hpp"
#include "common/error.hpp"
#include "tests/comm/mpi/mpi_test_env.hpp"

namespace cagcl::mpi_test {
namespace {
const Runtime* g_runtime = nullptr;
std::shared_ptr<Communicator> g_world;
}  // namespace

const Runtime& runtime() { return *g_runtime; }
std::shared_ptr<Communicator> world() { return g_world; }

}  // namespace cagcl::mpi_test

namespace {

int flag_value(int argc, char** argv, const char* prefix) {
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], prefix, std::strlen(prefix)) == 0) return std::atoi(argv[i] + std::strlen(prefix));
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace cagcl;
  Runtime runtime(&argc, &argv);
  mpi_test::g_runtime = &runtime;
  const int fail_rank = flag_value(argc, argv, "--cagcl-fail-rank=");
  const int hang_rank = flag_value(argc, argv, "--cagcl-hang-rank=");
  return runtime.run_or_abort([&] {
    if (fail_rank >= 0) {
      MpiCommunicator comm;
      if (comm.rank() == fail_rank) throw Error("injected failure in rank " + std::to_string(fail_rank));
      comm.barrier();  // never completes: the failing rank does not come
      return 0;
    }
    if (hang_rank >= 0) {
      CommOptions options;
      options.failure_timeout_s = 2;
      MpiCommunicator comm(options);
      if (comm.rank() == hang_rank) std::this_thread::sleep_for(std::chrono::seconds(120));
      comm.barrier();
      return 0;
    }
    mpi_test::g_world = std::make_shared<MpiCommunicator>();
    ::testing::InitGoogleTest(&argc, argv);
    int failed = RUN_ALL_TESTS() != 0 ? 1 : 0;
    mpi_test::g_world.reset();  // before MPI_Finalize
    MPI_Allreduce(MPI_IN_PLACE, &failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (runtime.rank() == 0)
      std::printf("cagcl_mpi_tests: %d ranks, %s\n", runtime.world_size(),
                  failed ? "FAILED on some rank" : "all ranks passed");
    return failed;
  });
}
