#pragma once
// What the storage and loader benches share: the dataset they measure (synthesised from the project's chest
// phantoms when missing) and best-of-N timing.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>

#include <CLI/CLI.hpp>

#include "data/compression.hpp"
#include "data/dataset_writer.hpp"
#include "data/manifest.hpp"
#include "data/phantom/phantom.hpp"
#include "data/schema.hpp"

namespace cagcl::bench {

// The DATASET_DIR, --synthesize N and --compression options of a storage bench.
struct DatasetArgs {
  std::filesystem::path dir;
  int synthesize = 0;
  std::string compression = data::to_string(data::best_available_compression());

  void add_to(CLI::App& app, const std::string& size_text) {
    app.add_option("dataset", dir, "dataset directory to measure")->required();
    app.add_option("--synthesize", synthesize,
                   "first write N phantoms of " + size_text + " when the directory holds no dataset.json")
        ->check(CLI::PositiveNumber);
    app.add_option("--compression", compression, "compression of synthesised shards: lz4 | deflate+shuffle")
        ->capture_default_str();
  }
};

// Writes `args.synthesize` phantoms of `size` into `args.dir` unless it already holds a dataset.
inline void synthesize_if_missing(const DatasetArgs& args, const std::array<int64_t, 3>& size,
                                  const std::string& command) {
  if (args.synthesize <= 0 || std::filesystem::exists(args.dir / data::kManifestFileName)) return;
  data::phantom::PhantomOptions options;
  options.size = size;
  const auto plans = data::phantom::plan_cohort(args.synthesize, options);
  data::DatasetWriter writer(
      args.dir, {data::default_anatomies(), data::ct_rate_labels(), data::compression_from_string(args.compression), 0},
      args.synthesize, std::min(args.synthesize, 2), {{"command", command + " --synthesize"}, {"n", args.synthesize}});
  for (const auto& plan : plans) writer.append(data::phantom::render(plan, options));
  writer.finish();
}

// Seconds of the fastest of `repeat` runs of `f`.
inline double best_seconds(int repeat, const std::function<void()>& f) {
  double best = 1e300;
  for (int r = 0; r < repeat; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

}  // namespace cagcl::bench
