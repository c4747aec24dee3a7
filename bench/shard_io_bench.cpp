// Storage throughput of a dataset directory: write, plain file read, raw HDF5 chunk read (no decode), and
// full decode through ShardReader, plus the compression ratio.
//
//   shard_io_bench DATASET_DIR [--repeat N] [--synthesize N [--compression lz4|deflate+shuffle]]
//
// --synthesize N first writes N synthetic CT-sized phantoms (128x256x352) into DATASET_DIR when it holds no
// dataset.json yet, so the bench can run before real data exists. Each figure is the best of --repeat runs.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <string>
#include <unistd.h>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "data/dataset.hpp"
#include "data/dataset_writer.hpp"
#include "data/phantom/phantom.hpp"
#include "data/hdf5.hpp"
#include "data/schema.hpp"
#include "data/shard_format.hpp"
#include "data/shard_writer.hpp"

namespace fs = std::filesystem;
using namespace cagcl;
using namespace cagcl::data;

namespace {

struct Args {
  fs::path dir;
  int repeat = 3;
  int synthesize = 0;
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
    if (arg == "--repeat") a.repeat = value();
    else if (arg == "--synthesize") a.synthesize = value();
    else if (arg == "--compression" && i + 1 < argc) a.compression = compression_from_string(argv[++i]);
    else if (a.dir.empty() && arg.rfind("--", 0) != 0) a.dir = arg;
    else throw UsageError("unknown argument '" + arg + "'");
  }
  if (a.dir.empty()) {
    throw UsageError("usage: shard_io_bench DATASET_DIR [--repeat N] [--synthesize N [--compression C]]");
  }
  return a;
}

void synthesize(const fs::path& dir, int n, Compression compression) {
  ShardLayout layout{default_anatomies(), ct_rate_labels(), compression, 0};
  // The project's chest phantoms at a CT-crop-like size, so the ratio and decode speed are those of CT-like
  // content (smooth tissue, noisy low bits), not of random or constant data.
  phantom::PhantomOptions options;
  options.size = {128, 256, 352};
  const auto plans = phantom::plan_cohort(n, options);
  DatasetWriter w(dir, layout, n, std::min(n, 2), {{"command", "shard_io_bench --synthesize"}, {"n", n}});
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

uint64_t read_file_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::vector<char> buf(8 << 20);
  uint64_t total = 0;
  while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0) {
    total += static_cast<uint64_t>(in.gcount());
  }
  return total;
}

// Reads every stored chunk of volume and anatomy as-is (H5Dread_chunk): the I/O + HDF5 bookkeeping cost
// without decompression, i.e. the floor for a loader that decodes outside the HDF5 lock.
uint64_t read_raw_chunks(const ShardReader& r) {
  uint64_t bytes = 0;
  std::vector<char> buf;
  for (int64_t i = 0; i < r.size(); ++i) {
    const std::string group = sample_group_path(i);
    for (const char* name : {shard_format::kVolume, shard_format::kAnatomy}) {
      const std::string member = group + "/" + name;
      h5::Handle d(H5Dopen2(r.file_handle(), member.c_str(), H5P_DEFAULT), H5Dclose);
      h5::Handle space(H5Dget_space(d), H5Sclose);
      hsize_t n = 0;
      H5Dget_num_chunks(d, space, &n);
      for (hsize_t c = 0; c < n; ++c) {
        hsize_t offset[3];
        unsigned mask = 0;
        haddr_t addr = 0;
        hsize_t size = 0;
        H5Dget_chunk_info(d, space, c, offset, &mask, &addr, &size);
        buf.resize(size);
        uint32_t filters = 0;
        if (H5Dread_chunk(d, H5P_DEFAULT, offset, &filters, buf.data()) < 0) {
          h5::fail_data({r.path().string(), member}, "raw chunk read failed");
        }
        bytes += size;
      }
    }
  }
  return bytes;
}

struct Row {
  std::string name;
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
  uint64_t file_bytes = 0, raw = 0, stored = 0;
  for (const auto& s : ds.shards()) {
    file_bytes += fs::file_size(s.path());
    const auto st = s.storage();
    raw += st.raw_bytes;
    stored += st.stored_bytes;
  }
  const double MB = 1e6;
  std::vector<Row> rows;

  // Write: samples of one shard at a time in memory, re-written to a temp dir.
  const fs::path tmp = fs::temp_directory_path() / fmt::format("shard_io_bench-{}", ::getpid());
  fs::create_directories(tmp);
  double write_s = 0;
  for (size_t k = 0; k < ds.shards().size(); ++k) {
    const ShardReader& r = ds.shards()[k];
    std::vector<Sample> samples;
    for (int64_t i = 0; i < r.size(); ++i) samples.push_back(r.read(i));
    write_s += best_seconds(args.repeat, [&] {
      ShardWriter w(tmp / shard_file_name(static_cast<int64_t>(k)), r.layout());
      for (const auto& s : samples) w.append(s);
      w.finish();
    });
  }
  fs::remove_all(tmp);
  rows.push_back({"write (ShardWriter, incl. fsync)", write_s, raw / MB, n});

  rows.push_back({"file bytes, sequential (page cache!)", best_seconds(args.repeat, [&] {
                    for (const auto& s : ds.shards()) read_file_bytes(s.path());
                  }),
                  file_bytes / MB, n});
  rows.push_back({"raw chunks, H5Dread_chunk (no decode)", best_seconds(args.repeat, [&] {
                    for (const auto& s : ds.shards()) read_raw_chunks(s);
                  }),
                  stored / MB, n});
  rows.push_back({"full decode, ShardReader::read", best_seconds(args.repeat, [&] {
                    for (int64_t i = 0; i < n; ++i) ds.read(i);
                  }),
                  raw / MB, n});

  const double ratio = stored ? static_cast<double>(raw) / static_cast<double>(stored) : 0.0;
  fmt::print("dataset {}: {} samples, {} shards, compression {}, voxel bytes {:.1f} MB raw / {:.1f} MB stored "
             "(ratio {:.2f}), best of {}\n",
             args.dir.string(), n, ds.shards().size(), ds.manifest().compression, raw / MB, stored / MB, ratio,
             args.repeat);
  fmt::print("{:<42} {:>10} {:>10} {:>10}\n", "stage", "seconds", "MB/s", "volumes/s");
  nlohmann::json j{{"bench", "shard_io"}, {"dataset", args.dir.string()}, {"samples", n},
                   {"compression", ds.manifest().compression}, {"compression_ratio", ratio}, {"repeat", args.repeat}};
  for (const auto& r : rows) {
    const double mbps = r.seconds > 0 ? r.mbytes / r.seconds : 0, vps = r.seconds > 0 ? r.volumes / r.seconds : 0;
    fmt::print("{:<42} {:>10.3f} {:>10.1f} {:>10.2f}\n", r.name, r.seconds, mbps, vps);
    j["stages"].push_back({{"stage", r.name}, {"seconds", r.seconds}, {"mb_per_s", mbps}, {"volumes_per_s", vps}});
  }
  fmt::print("note: MB/s counts decoded voxel bytes for write/decode, stored chunk bytes for raw chunks, and "
             "file bytes for the sequential read; the sequential and raw-chunk reads are served from the page "
             "cache after the first repeat, so they measure memory, not disk.\n");
  std::cout << j.dump() << std::endl;
  return 0;
} catch (const cagcl::Error& e) {
  std::cerr << "shard_io_bench: " << e.what() << "\n";
  return static_cast<int>(e.code());
}
