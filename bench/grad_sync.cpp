// Step time of an MLP with gradient sync off, on after backward (no overlap), and on overlapped with
// backward, and the share of the communication that the overlap hides:
//   hidden = (t_after - t_overlap) / (t_after - t_off).
//   mpirun --allow-run-as-root --oversubscribe -np 2 build/bench/grad_sync [--width 1024] [--layers 8]
//          [--batch 32] [--steps 5] [--bucket-mb 25] [--first-bucket-mb 1]
// Prints a table and one JSON line.
#include <torch/torch.h>

#include <mpi.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>

#include "comm/grad_sync.hpp"
#include "comm/mpi_communicator.hpp"
#include "launch/runtime.hpp"

int main(int argc, char** argv) {
  using namespace cagcl;
  CLI::App app{"Step time with gradient sync off, after backward, and overlapped with backward", "grad_sync"};
  int64_t width = 1024, batch = 32;
  int layers = 8, steps = 5;
  double bucket_mb = 25, first_bucket_mb = 1;
  app.add_option("--width", width, "MLP width")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--layers", layers, "MLP layers")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--batch", batch, "rows per rank")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--steps", steps, "timed steps (best of)")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--bucket-mb", bucket_mb, "gradient bucket cap")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--first-bucket-mb", first_bucket_mb, "cap of the first bucket")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);  // before MPI: --help and bad flags need no launcher
  Runtime runtime(&argc, &argv);
  return runtime.run_or_abort([&] {
    auto comm = std::make_shared<MpiCommunicator>();

    torch::manual_seed(0);
    torch::nn::Sequential model;
    for (int i = 0; i < layers; ++i) {
      model->push_back(torch::nn::Linear(width, width));
      model->push_back(torch::nn::ReLU());
    }
    int64_t numel = 0;
    for (const auto& p : model->parameters()) numel += p.numel();
    const auto x = torch::randn({batch, width});

    GradSyncOptions base;
    base.bucket_cap_bytes = static_cast<int64_t>(bucket_mb * (1 << 20));
    base.first_bucket_bytes = static_cast<int64_t>(first_bucket_mb * (1 << 20));

    // mode 0: off, 1: after backward, 2: overlapped.
    auto step_time = [&](int mode) {
      GradSyncOptions options = base;
      options.overlap = mode == 2;
      std::unique_ptr<GradSync> sync;
      if (mode > 0) sync = std::make_unique<GradSync>(comm, model->parameters(), options);
      double best = 1e30;
      for (int s = 0; s < steps + 1; ++s) {  // step 0 warms up
        for (auto& p : model->parameters()) p.mutable_grad() = torch::Tensor();
        MPI_Barrier(MPI_COMM_WORLD);
        const auto start = std::chrono::steady_clock::now();
        model->forward(x).pow(2).mean().backward();
        if (sync) sync->finish();
        double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        MPI_Allreduce(MPI_IN_PLACE, &t, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        if (s > 0) best = std::min(best, t);
      }
      return best;
    };
    const double off = step_time(0), after = step_time(1), overlap = step_time(2);
    const double comm_time = after - off;
    const double hidden = comm_time > 0 ? (after - overlap) / comm_time : 0;
    if (comm.get()->rank() == 0) {
      std::printf(
          "grad_sync: %d ranks, %d x Linear(%ld, %ld) = %.1f MB of float32 gradients, batch %ld/rank, "
          "%d intra-op threads, best of %d steps\n",
          comm->size(), layers, static_cast<long>(width), static_cast<long>(width), numel * 4 / 1e6,
          static_cast<long>(batch), at::get_num_threads(), steps);
      std::printf("%-22s %10s\n", "mode", "step ms");
      std::printf("%-22s %10.1f\n%-22s %10.1f\n%-22s %10.1f\n", "sync off", off * 1e3, "sync after backward",
                  after * 1e3, "sync overlapped", overlap * 1e3);
      std::printf("communication %.1f ms, hidden by overlap: %.0f%%\n", comm_time * 1e3, 100 * hidden);
      std::printf("%s\n", nlohmann::json{{"bench", "grad_sync"},
                                         {"world", comm->size()},
                                         {"grad_mb", numel * 4 / 1e6},
                                         {"off_ms", off * 1e3},
                                         {"after_ms", after * 1e3},
                                         {"overlap_ms", overlap * 1e3},
                                         {"hidden_share", hidden}}
                              .dump()
                              .c_str());
    }
    return 0;
  });
}
