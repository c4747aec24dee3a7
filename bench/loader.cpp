// Throughput of the data pipeline next to raw shard reads of the same samples.
//
//   loader DATASET_DIR [--synthesize N [--compression lz4|deflate+shuffle]] [--repeat R] [--batch B]
//
// --synthesize N first writes N phantoms of the `small` preset's size (64x128x128) when DATASET_DIR holds no
// dataset.json. Rows: H5Dread (ShardReader::read_with_h5dread: HDF5 decodes under its global lock) with 1/2/4 threads,
// raw chunk reads (H5Dread_chunk, no decode), the lock-free read (raw chunks + our decoder) with 1/2/4 threads, and the
// full loader (read + decode + crop 48x112x112 / flip / window + text augmentation + WordPiece) with 1/2/4 workers.
// MB/s counts decoded voxel bytes (int16 volume + uint8 anatomy) of the samples processed, except the raw-chunk row
// (stored bytes). Best of --repeat. Prints a table and one JSON line.
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

#include "bench/bench_common.hpp"
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
  CLI::App app{"Data loader throughput next to raw shard reads", "loader"};
  bench::DatasetArgs dataset_args;
  dataset_args.add_to(app, "64x128x128 (the small preset)");
  int repeat = 2, batch = 2;
  app.add_option("--repeat", repeat, "best of this many runs")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--batch", batch, "batch size of the loader rows")->check(CLI::PositiveNumber)->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  bench::synthesize_if_missing(dataset_args, {64, 128, 128}, "bench/loader");
  const Dataset ds = Dataset::open(dataset_args.dir, {/*verify_checksums=*/false});
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
    rows.push_back({"H5Dread (HDF5 decodes, locked)", t,
                    bench::best_seconds(repeat,
                                        [&] {
                                          parallel_reads(n, t, [&](int64_t i) {
                                            const auto [shard, local] = ds.locate(i);
                                            ds.shards()[shard].read_with_h5dread(local);
                                          });
                                        }),
                    raw_mb, n});
  }
  rows.push_back({"raw chunks only (H5Dread_chunk)", 1,
                  bench::best_seconds(repeat,
                                      [&] {
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
                    bench::best_seconds(repeat, [&] { parallel_reads(n, t, [&](int64_t i) { source(i); }); }), raw_mb,
                    n});
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
  so.batch_size = batch;
  so.seed = 42;
  const int64_t steps = n / batch, loaded = steps * batch;
  for (int t : {1, 2, 4}) {
    LoaderOptions o;
    o.crop = {48, 112, 112};
    o.workers = t;
    o.prefetch = 4;
    o.seed = 42;
    o.num_anatomies = static_cast<int64_t>(ds.manifest().anatomies.size());
    o.num_labels = static_cast<int64_t>(ds.manifest().labels.size());
    rows.push_back({"full loader (read+decode+crop/flip/window+text)", t,
                    bench::best_seconds(repeat,
                                        [&] {
                                          Loader loader(source, Sampler(so), 0, o, text);
                                          for (int64_t s = 0; s < steps; ++s) loader.next();
                                        }),
                    raw_mb * static_cast<double>(loaded) / static_cast<double>(n), loaded});
  }

  fmt::print(
      "dataset {}: {} samples, compression {}, voxel bytes {:.1f} MB decoded / {:.1f} MB stored, "
      "best of {}, {} hardware threads\n",
      dataset_args.dir.string(), n, ds.manifest().compression, raw_mb, stored / MB, repeat,
      std::thread::hardware_concurrency());
  fmt::print("{:<50} {:>7} {:>9} {:>9} {:>10}\n", "stage", "threads", "seconds", "MB/s", "volumes/s");
  nlohmann::json j{{"bench", "loader"},
                   {"dataset", dataset_args.dir.string()},
                   {"samples", n},
                   {"compression", ds.manifest().compression},
                   {"repeat", repeat},
                   {"batch", batch},
                   {"hardware_threads", std::thread::hardware_concurrency()}};
  for (const auto& r : rows) {
    const double mbps = r.seconds > 0 ? r.mbytes / r.seconds : 0, vps = r.seconds > 0 ? r.volumes / r.seconds : 0;
    fmt::print("{:<50} {:>7} {:>9.3f} {:>9.1f} {:>10.2f}\n", r.name, r.threads, r.seconds, mbps, vps);
    j["stages"].push_back({{"stage", r.name},
                           {"threads", r.threads},
                           {"seconds", r.seconds},
                           {"mb_per_s", mbps},
                           {"volumes_per_s", vps}});
  }
  std::cout << j.dump() << std::endl;
  return 0;
} catch (const cagcl::Error& e) {
  std::cerr << "loader: " << e.what() << "\n";
  return static_cast<int>(e.code());
}
