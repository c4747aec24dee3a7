// What the Prometheus exporter costs the training loop: time of one on_step (every gauge, counter and
// histogram of a step report) alone and while scrapers read /metrics in a loop, and the time and size of one
// scrape. The training loop calls on_step once per optimizer step (hundreds of milliseconds on a GPU).
#include <atomic>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "bench/bench_common.hpp"
#include "monitoring/prometheus_exporter.hpp"
#include "tests/monitoring/monitoring_test_util.hpp"

int main(int argc, char** argv) {
  using namespace cagcl;
  CLI::App app{"exporter_overhead: cost of the Prometheus exporter per training step and per scrape"};
  int steps = 100000;
  int scrapers = 1;
  int repeat = 3;
  app.add_option("--steps", steps, "on_step calls per measurement")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--scrapers", scrapers, "threads scraping /metrics in a loop during the second measurement")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--repeat", repeat, "measurements; the best is reported")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  monitoring::ExporterOptions options;
  options.address = "127.0.0.1";
  options.port = 0;
  monitoring::PrometheusExporter exporter(options);
  trainer::RunInfo run;
  run.run = "bench";
  run.anatomies = monitoring::test_util::sample_anatomies();
  exporter.on_start(run);
  auto report = monitoring::test_util::sample_step(0);
  auto steps_loop = [&] {
    for (int i = 0; i < steps; ++i) {
      report.step = i;
      exporter.on_step(report);
    }
  };
  const double alone = bench::best_seconds(repeat, steps_loop) / steps;

  std::atomic<bool> stop{false};
  std::atomic<int64_t> scrapes{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < scrapers; ++t)
    threads.emplace_back([&] {
      while (!stop) {
        if (!monitoring::test_util::http_get(exporter.port()).empty()) ++scrapes;
      }
    });
  const double scraped = bench::best_seconds(repeat, steps_loop) / steps;
  stop = true;
  for (auto& t : threads) t.join();

  std::string body;
  const double scrape =
      bench::best_seconds(std::max(repeat, 20), [&] { body = monitoring::test_util::http_get(exporter.port()); });

  std::printf("%-34s %12s\n", "measure", "value");
  std::printf("%-34s %9.3f us\n", "on_step, no scraper", alone * 1e6);
  std::printf("%-34s %9.3f us\n", ("on_step, " + std::to_string(scrapers) + " scraper(s) looping").c_str(),
              scraped * 1e6);
  std::printf("%-34s %9.3f ms\n", "one scrape of /metrics (best)", scrape * 1e3);
  std::printf("%-34s %9zu B\n", "exposition size", body.size());
  std::printf("%s\n", nlohmann::json{{"bench", "exporter_overhead"},
                                     {"steps", steps},
                                     {"scrapers", scrapers},
                                     {"on_step_us", alone * 1e6},
                                     {"on_step_scraped_us", scraped * 1e6},
                                     {"scrapes_during", scrapes.load()},
                                     {"scrape_ms", scrape * 1e3},
                                     {"exposition_bytes", body.size()}}
                          .dump()
                          .c_str());
}
