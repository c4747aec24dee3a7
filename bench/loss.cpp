// Loss + backward time and peak memory of the CA-GCL loss (local + global terms) against the global batch
// size N (instances), in two forms:
//   full  -- one process computes all N rows against all N columns (the N x N form of a single process, or of a
//            DDP script that gathers everything and computes the whole matrix on every rank);
//   local -- one rank of W computes its N/W rows against the N gathered columns (what ca_gcl_loss does).
// The local form is simulated in one process: it runs exactly the per-rank computation (ca_gcl_loss_rows on
// rank 0's rows and the full column set, gradients flowing into the columns as they flow into the gather),
// without the gathers themselves (O(N x E) buffers, no N x N term) and without communication time.
//
// Memory: each configuration runs in a forked child; the child resets its peak RSS (/proc/self/clear_refs),
// runs one loss + backward and reports VmHWM - VmRSS before (the peak resident memory the step added, glibc
// told to return every large block to the OS). It is compared with the analytic size of one n x N float
// matrix (n = rows, N = columns). Usage:
//   build/bench/loss [--instances 256,512,1024,2048,4096] [--world 8] [--dim 256] [--repeat 3]
// Prints a table and one JSON line.
#include <torch/torch.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <malloc.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bench/bench_common.hpp"
#include "model/contrastive_loss.hpp"

namespace {

using namespace cagcl;

// A field of /proc/self/status in bytes ("VmRSS", "VmHWM").
double status_bytes(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field + ":", 0) == 0) return std::stod(line.substr(field.size() + 1)) * 1024;
  return -1;
}

bool reset_peak_rss() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

model::Instances random_batch(int64_t n, int64_t dim) {
  torch::manual_seed(1);
  namespace F = torch::nn::functional;
  const auto norm = F::NormalizeFuncOptions().dim(1);
  return {F::normalize(torch::randn({n, dim}), norm).requires_grad_(true),
          F::normalize(torch::randn({n, dim}), norm).requires_grad_(true), torch::arange(n, torch::kLong).remainder(4),
          torch::rand({n}) < 0.5, torch::randint(0, n / 2 + 1, {n}, torch::kLong)};
}

struct Measurement {
  double seconds = 0, peak_bytes = 0;
  bool peak_reset = false;
};

// One configuration, in this (child) process.
Measurement measure(int64_t total, int64_t rows, int64_t dim, int repeat) {
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);  // a fixed threshold: freed large blocks go back to the OS
  LossConfig options;
  const auto tau = torch::tensor(0.07f).requires_grad_(true);
  auto step = [&](const model::Instances& columns, int64_t n) {
    model::ca_gcl_loss_rows(model::slice_instances(columns, 0, n), 0, columns, tau, tau, options).total.backward();
    columns.v.mutable_grad() = torch::Tensor();
    columns.t.mutable_grad() = torch::Tensor();
  };
  step(random_batch(16, dim), 4);  // thread pools and lazy initialisation, before the baseline
  const auto columns = random_batch(total, dim);
  Measurement m;
  m.peak_reset = reset_peak_rss();
  const double before = status_bytes("VmRSS");
  step(columns, rows);
  m.peak_bytes = status_bytes("VmHWM") - before;
  m.seconds = bench::best_seconds(repeat, [&] { step(columns, rows); });
  return m;
}

// Runs measure() in a forked child (its own address space, so each peak is its own) and reads the result back.
Measurement measure_in_child(int64_t total, int64_t rows, int64_t dim, int repeat) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    close(fds[0]);
    Measurement m;
    try {
      m = measure(total, rows, dim, repeat);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "loss: N=%ld rows=%ld: %s\n", static_cast<long>(total), static_cast<long>(rows), e.what());
      _exit(1);
    }
    const std::string line = nlohmann::json{{"s", m.seconds}, {"peak", m.peak_bytes}, {"reset", m.peak_reset}}.dump();
    const bool ok = write(fds[1], line.data(), line.size()) == static_cast<ssize_t>(line.size());
    _exit(ok ? 0 : 1);
  }
  close(fds[1]);
  std::string text;
  char buffer[512];
  for (ssize_t got; (got = read(fds[0], buffer, sizeof buffer)) > 0;) text.append(buffer, static_cast<size_t>(got));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || text.empty())
    throw std::runtime_error("child for N=" + std::to_string(total) + " rows=" + std::to_string(rows) + " failed");
  const auto j = nlohmann::json::parse(text);
  return {j.at("s").get<double>(), j.at("peak").get<double>(), j.at("reset").get<bool>()};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Loss + backward time and peak memory: local rows x global columns against the full N x N form", "loss"};
  std::vector<int64_t> instances{256, 512, 1024, 2048, 4096};
  int64_t world = 8, dim = 256;
  int repeat = 3;
  app.add_option("--instances", instances, "global batch sizes N (instances = intact sample-anatomy pairs)")
      ->delimiter(',')
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--world", world, "simulated ranks W: the local form computes N/W rows")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--dim", dim, "embedding size E")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--repeat", repeat, "timed runs per configuration (best of)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  // No torch work in this process before the forks (OpenMP's thread pool does not survive fork).
  nlohmann::json rows_json = nlohmann::json::array();
  std::printf(
      "loss: local + global terms, E = %ld, float32, CPU; local = one of W = %ld ranks (simulated, no "
      "communication); peak = max RSS added by one loss + backward (measured), matrix = one n x N float32 "
      "matrix (analytic)\n",
      static_cast<long>(dim), static_cast<long>(world));
  std::printf("%8s %6s %8s %8s %12s %14s %10s %12s\n", "N", "form", "rows n", "cols N", "matrix MB", "peak RSS MB",
              "peak/mat", "ms");
  bool all_reset = true;
  for (int64_t n_global : instances) {
    for (const bool local : {false, true}) {
      const int64_t rows = local ? std::max<int64_t>(1, n_global / world) : n_global;
      const auto m = measure_in_child(n_global, rows, dim, repeat);
      all_reset = all_reset && m.peak_reset;
      const double matrix = 4.0 * static_cast<double>(rows) * static_cast<double>(n_global);
      std::printf("%8ld %6s %8ld %8ld %12.2f %14.1f %10.1f %12.2f\n", static_cast<long>(n_global),
                  local ? "local" : "full", static_cast<long>(rows), static_cast<long>(n_global), matrix / 1e6,
                  m.peak_bytes / 1e6, m.peak_bytes / matrix, m.seconds * 1e3);
      rows_json.push_back({{"n_global", n_global},
                           {"form", local ? "local" : "full"},
                           {"rows", rows},
                           {"matrix_mb", matrix / 1e6},
                           {"peak_rss_mb", m.peak_bytes / 1e6},
                           {"ms", m.seconds * 1e3}});
    }
  }
  if (!all_reset) std::printf("note: /proc/self/clear_refs was not writable; peaks include earlier allocations\n");
  std::printf("%s\n", nlohmann::json{{"bench", "loss"},
                                     {"world", world},
                                     {"dim", dim},
                                     {"repeat", repeat},
                                     {"peak_reset", all_reset},
                                     {"results", rows_json}}
                          .dump()
                          .c_str());
  return 0;
}
