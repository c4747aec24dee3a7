// Throughput of the data pipeline next to raw shard reads of the same samples.
//
//   loader DATASET_DIR [--synthesize N [--compression lz4|deflate+shuffle]] [--repeat R] [--batch B]
//
// --synthesize N first writes N phantoms of the `small` preset's size (64x128x128) when DATASET_DIR holds no
// dataset.json. Rows: ShardReader::read (HDF5 decodes under its global lock) with 1/2/4 threads, raw chunk
// reads (H5Dread_chunk, no decode), the lock-free read (raw chunks + our decoder) with 1/2/4 threads, and
// the full loader (read + decode + crop 48x112x112 / flip / window + text augmentation + WordPiece) with 1/2/4
// workers. MB/s counts decoded voxel bytes (int16 volume + uint8 anatomy) of the samples processed, except
// the raw-chunk row (stored bytes). Best of --repeat. Prints a table and one JSON line.
#include <torch/torch.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "data/dataset.hpp"
#include "data/dataset_writer.hpp"
#include "data/loader.hpp"
#include "data/phantom/phantom.hpp"
#include "data/raw_volume_reader.hpp"
#include "data/shard_format.hpp"
#include "data/text_pipeline.hpp"
#include "data/vocab_builder.hpp"

namespace fs = std::filesystem;
using namespace cagcl;
using namespace cagcl::data;

namespace {

struct Args {
  fs::path dir;
  int synthesize = 0;
  int repeat = 2;
  int batch = 2;
  Compression compression = best_available_compression();
};

Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&]() -> int {
      if (i + 1 >= argc) throw UsageError(arg + ": missing value");
      const int v = std::atoi(argv[++i]);
      if (v < 1) throw UsageError(arg + ": expected a positive integer");
      return v;
    };
    if (arg == "--synthesize") a.synthesize = value();
    else if (arg == "--repeat") a.repeat = value();
    else if (arg == "--batch") a.batch = value();
    else if (arg == "--compression" && i + 1 < argc) a.compression = compression_from_string(argv[++i]);
    else if (a.dir.empty() && arg.rfind("--", 0) != 0) a.dir = arg;
    else throw UsageError("unknown argument '" + arg + "'");
  }
  if (a.dir.empty()) throw UsageError("usage: loader DATASET_DIR [--synthesize N [--compression C]] [--repeat R] [--batch B]");
  return a;
}

void synthesize(const fs::path& dir, int n, Compression compression) {
  phantom::PhantomOptions options;
  options.size = {64, 128, 128};  // the `small` preset
  const auto plans = phantom::plan_cohort(n, options);
  DatasetWriter w(dir, {default_anatomies(), ct_rate_labels(), compression, 0}, n, std::min(n, 2),
                  {{"command", "bench/loader --synthesize"}, {"n", n}});
  for (const auto& plan : plans) w.append(phantom::render(plan, options));
  w.finish();
}

double best_seconds(int repeat, const std::function<void()>& f) {
  double best = 1e300;
  for (int r = 0; r < repeat; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

// Reads samples 0..n-1 with `threads` threads, each taking the next index from a shared counter.
void parallel_reads(int64_t n, int threads, const std::function<void(int64_t)>& read) {
  std::atomic<int64_t> next{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int64_t i; (i = next++) < n;) read(i);
    });
  }
  for (auto& t : pool) t.join();
}

struct Row {
  std::string name;
  int threads;
  double seconds;
  double mbytes;
  int64_t volumes;
};

}  // namespace

int main(int argc, char** argv) try {
  const Args args = parse_args(argc, argv);
  if (args.synthesize > 0 && !fs::exists(args.dir / kManifestFileName)) {
    synthesize(args.dir, args.synthesize, args.compression);
  }
  const Dataset ds = Dataset::open(args.dir, {/*verify_checksums=*/false});
  const int64_t n = ds.size();
  uint64_t raw = 0, stored = 0;
  for (const auto& s : ds.shards()) {
    const auto st = s.storage();
    raw += st.raw_bytes;
    stored += st.stored_bytes;
  }
  const double MB = 1e6, raw_mb = raw / MB;
  std::vector<Row> rows;
  for (int t : {1, 2, 4}) {
    rows.push_back({"ShardReader::read (HDF5 decodes, locked)", t,
                    best_seconds(args.repeat, [&] { parallel_reads(n, t, [&](int64_t i) { ds.read(i); }); }), raw_mb, n});
  }
  rows.push_back({"raw chunks only (H5Dread_chunk)", 1, best_seconds(args.repeat, [&] {
                    for (int64_t i = 0; i < n; ++i) {
                      const auto [shard, local] = ds.locate(i);
                      const ShardReader& r = ds.shards()[shard];
                      const Sample meta = r.read_metadata(local);
                      const std::string g = sample_group_path(local);
                      read_stored_volume(r, g + "/" + shard_format::kVolume, true, meta.shape);
                      read_stored_volume(r, g + "/" + shard_format::kAnatomy, false, meta.shape);
                    }
                  }),
                  stored / MB, n});
  const SampleSource source = dataset_source(ds);
  for (int t : {1, 2, 4}) {
    rows.push_back({"lock-free read (raw chunks + own decode)", t,
                    best_seconds(args.repeat, [&] { parallel_reads(n, t, [&](int64_t i) { source(i); }); }), raw_mb, n});
  }
  // Full pipeline: one epoch of training batches (W = 1, b = --batch, drop_last).
  // The real text side: WordPiece over a vocabulary of this corpus (as `cagcl synth` writes one), training
  // texts augmented with the small preset's settings, 64 tokens per anatomy text.
  VocabBuilder vocab(ds.manifest().anatomies, ds.manifest().labels);
  for (int64_t i = 0; i < n; ++i) vocab.add_sample(ds.read_metadata(i));
  const TextPipeline text = make_text_pipeline(std::make_shared<const Tokenizer>(Tokenizer(vocab.tokens())),
                                               ds.manifest().anatomies, AugmentOptions{}, 42, 64);
  SamplerOptions so;
  so.num_samples = n;
  so.batch_size = args.batch;
  so.seed = 42;
  const int64_t steps = n / args.batch, loaded = steps * args.batch;
  for (int t : {1, 2, 4}) {
    LoaderOptions o;
    o.crop = {48, 112, 112};
    o.workers = t;
    o.prefetch = 4;
    o.seed = 42;
    o.num_anatomies = static_cast<int64_t>(ds.manifest().anatomies.size());
    o.num_labels = static_cast<int64_t>(ds.manifest().labels.size());
    rows.push_back({"full loader (read+decode+crop/flip/window+text)", t, best_seconds(args.repeat, [&] {
                      Loader loader(source, Sampler(so), 0, o, text);
                      for (int64_t s = 0; s < steps; ++s) loader.next();
                    }),
                    raw_mb * static_cast<double>(loaded) / static_cast<double>(n), loaded});
  }

  fmt::print("dataset {}: {} samples, compression {}, voxel bytes {:.1f} MB decoded / {:.1f} MB stored, "
             "best of {}, {} hardware threads\n",
             args.dir.string(), n, ds.manifest().compression, raw_mb, stored / MB, args.repeat,
             std::thread::hardware_concurrency());
  fmt::print("{:<50} {:>7} {:>9} {:>9} {:>10}\n", "stage", "threads", "seconds", "MB/s", "volumes/s");
  nlohmann::json j{{"bench", "loader"}, {"dataset", args.dir.string()}, {"samples", n},
                   {"compression", ds.manifest().compression}, {"repeat", args.repeat}, {"batch", args.batch},
                   {"hardware_threads", std::thread::hardware_concurrency()}};
  for (const auto& r : rows) {
    const double mbps = r.seconds > 0 ? r.mbytes / r.seconds : 0, vps = r.seconds > 0 ? r.volumes / r.seconds : 0;
    fmt::print("{:<50} {:>7} {:>9.3f} {:>9.1f} {:>10.2f}\n", r.name, r.threads, r.seconds, mbps, vps);
    j["stages"].push_back({{"stage", r.name}, {"threads", r.threads}, {"seconds", r.seconds}, {"mb_per_s", mbps},
                           {"volumes_per_s", vps}});
  }
  std::cout << j.dump() << std::endl;
  return 0;
} catch (const cagcl::Error& e) {
  std::cerr << "loader: " << e.what() << "\n";
  return static_cast<int>(e.code());
}
