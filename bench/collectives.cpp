// Algorithm bandwidth of the project's MPI collectives against the raw blocking MPI call on the same sizes.
//   mpirun --allow-run-as-root --oversubscribe -np 2 build/bench/collectives [--min-kb 64] [--max-mb 256]
// algbw = buffer bytes / time (the larger buffer: all_gather's output, reduce_scatter's input), time = the
// slowest rank's mean over the iterations. Prints a table and one JSON line.
#include <torch/torch.h>

#include <mpi.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>

#include "comm/mpi_communicator.hpp"
#include "launch/runtime.hpp"

namespace {

double slowest_mean_seconds(int iterations, const std::function<void()>& op) {
  op();  // warm-up: connection set-up, first-touch of the buffers
  MPI_Barrier(MPI_COMM_WORLD);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < iterations; ++i) op();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / iterations;
  MPI_Allreduce(MPI_IN_PLACE, &seconds, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  return seconds;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace cagcl;
  CLI::App app{"Algorithm bandwidth of cagcl's MPI collectives against the raw MPI calls", "collectives"};
  double min_kb = 64, max_mb = 256;
  app.add_option("--min-kb", min_kb, "smallest buffer")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--max-mb", max_mb, "largest buffer")->check(CLI::PositiveNumber)->capture_default_str();
  CLI11_PARSE(app, argc, argv);  // before MPI: --help and bad flags need no launcher
  Runtime runtime(&argc, &argv);
  return runtime.run_or_abort([&] {
    const auto min_bytes = static_cast<int64_t>(min_kb * 1024);
    const auto max_bytes = static_cast<int64_t>(max_mb * 1024 * 1024);
    MpiCommunicator comm;
    const int w = comm.size();
    nlohmann::json results = nlohmann::json::array();
    if (comm.rank() == 0) {
      std::printf("collectives: %d ranks, float32, algbw in GB/s (ours = cagcl MpiCommunicator, mpi = raw call)\n", w);
      std::printf("%-15s %12s %10s %10s %8s\n", "op", "bytes", "ours", "mpi", "ours/mpi");
    }
    for (int64_t bytes = min_bytes; bytes <= max_bytes; bytes *= 4) {
      const int64_t n = bytes / 4 / w * w;  // divisible by the world size
      const int iterations = static_cast<int>(std::clamp<int64_t>((64LL << 20) / bytes, 3, 50));
      auto big = torch::ones({n});
      auto small = torch::ones({n / w});
      const int cn = static_cast<int>(n), cs = static_cast<int>(n / w);
      struct Case {
        const char* op;
        std::function<void()> ours, raw;
      };
      const Case cases[] = {
          {"all_reduce", [&] { comm.all_reduce(big); },
           [&] { MPI_Allreduce(MPI_IN_PLACE, big.data_ptr(), cn, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD); }},
          {"all_gather", [&] { comm.all_gather_async(small, big)->wait(); },
           [&] { MPI_Allgather(small.data_ptr(), cs, MPI_FLOAT, big.data_ptr(), cs, MPI_FLOAT, MPI_COMM_WORLD); }},
          {"reduce_scatter", [&] { comm.reduce_scatter_async(big, small, ReduceOp::sum)->wait(); },
           [&] { MPI_Reduce_scatter_block(big.data_ptr(), small.data_ptr(), cs, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD); }},
      };
      for (const auto& c : cases) {
        // Interleave ours and raw twice and keep each one's best: the machine is shared and noisy.
        double ours = 1e30, raw = 1e30;
        for (int round = 0; round < 2; ++round) {
          ours = std::min(ours, slowest_mean_seconds(iterations, c.ours));
          raw = std::min(raw, slowest_mean_seconds(iterations, c.raw));
        }
        const double b = static_cast<double>(n) * 4;
        const double ours_gbps = b / ours / 1e9, raw_gbps = b / raw / 1e9;
        if (comm.rank() == 0)
          std::printf("%-15s %12.0f %10.2f %10.2f %7.0f%%\n", c.op, b, ours_gbps, raw_gbps, 100 * ours_gbps / raw_gbps);
        results.push_back({{"op", c.op},
                           {"bytes", static_cast<int64_t>(b)},
                           {"ours_gbps", ours_gbps},
                           {"mpi_gbps", raw_gbps},
                           {"ratio", ours_gbps / raw_gbps}});
      }
    }
    if (comm.rank() == 0)
      std::printf("%s\n", nlohmann::json{{"bench", "collectives"}, {"world", w}, {"results", results}}.dump().c_str());
    return 0;
  });
}
