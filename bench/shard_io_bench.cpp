// Storage throughput of a dataset directory: write, plain file read, raw HDF5 chunk read (no decode), and
// full decode by HDF5 (H5Dread; ShardReader::read decodes with our own decoder instead, see
// data/raw_volume_reader.hpp), plus the compression ratio.
//
//   shard_io_bench DATASET_DIR [--repeat N] [--synthesize N [--compression lz4|deflate+shuffle]]
//
// --synthesize N first writes N synthetic CT-sized phantoms (128x256x352) into DATASET_DIR when it holds no
// dataset.json yet, so the bench can run before real data exists. Each figure is the best of --repeat runs.
#include <unistd.h>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bench/bench_common.hpp"
#include "common/error.hpp"
#include "data/dataset.hpp"
#include "data/dataset_writer.hpp"
#include "data/hdf5.hpp"
#include "data/phantom/phantom.hpp"
#include "data/schema.hpp"
#include "data/shard_format.hpp"
#include "data/shard_writer.hpp"

namespace fs = std::filesystem;
using namespace cagcl;
using namespace cagcl::data;

namespace {

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
  CLI::App app{"Shard write / read / decode throughput", "shard_io_bench"};
  bench::DatasetArgs dataset_args;
  dataset_args.add_to(app, "128x256x352");
  int repeat = 3;
  app.add_option("--repeat", repeat, "best of this many runs")->check(CLI::PositiveNumber)->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  bench::synthesize_if_missing(dataset_args, {128, 256, 352}, "shard_io_bench");
  const Dataset ds = Dataset::open(dataset_args.dir, {/*verify_checksums=*/false});
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
    write_s += bench::best_seconds(repeat, [&] {
      ShardWriter w(tmp / shard_file_name(static_cast<int64_t>(k)), r.layout());
      for (const auto& s : samples) w.append(s);
      w.finish();
    });
  }
  fs::remove_all(tmp);
  rows.push_back({"write (ShardWriter, incl. fsync)", write_s, raw / MB, n});

  rows.push_back({"file bytes, sequential (page cache!)",
                  bench::best_seconds(repeat,
                                      [&] {
                                        for (const auto& s : ds.shards()) read_file_bytes(s.path());
                                      }),
                  file_bytes / MB, n});
  rows.push_back({"raw chunks, H5Dread_chunk (no decode)",
                  bench::best_seconds(repeat,
                                      [&] {
                                        for (const auto& s : ds.shards()) read_raw_chunks(s);
                                      }),
                  stored / MB, n});
  rows.push_back({"full decode, H5Dread",
                  bench::best_seconds(repeat,
                                      [&] {
                                        for (int64_t i = 0; i < n; ++i) {
                                          const auto [shard, local] = ds.locate(i);
                                          ds.shards()[shard].read_with_h5dread(local);
                                        }
                                      }),
                  raw / MB, n});

  const double ratio = stored ? static_cast<double>(raw) / static_cast<double>(stored) : 0.0;
  fmt::print(
      "dataset {}: {} samples, {} shards, compression {}, voxel bytes {:.1f} MB raw / {:.1f} MB stored "
      "(ratio {:.2f}), best of {}\n",
      dataset_args.dir.string(), n, ds.shards().size(), ds.manifest().compression, raw / MB, stored / MB, ratio,
      repeat);
  fmt::print("{:<42} {:>10} {:>10} {:>10}\n", "stage", "seconds", "MB/s", "volumes/s");
  nlohmann::json j{{"bench", "shard_io"},
                   {"dataset", dataset_args.dir.string()},
                   {"samples", n},
                   {"compression", ds.manifest().compression},
                   {"compression_ratio", ratio},
                   {"repeat", repeat}};
  for (const auto& r : rows) {
    const double mbps = r.seconds > 0 ? r.mbytes / r.seconds : 0, vps = r.seconds > 0 ? r.volumes / r.seconds : 0;
    fmt::print("{:<42} {:>10.3f} {:>10.1f} {:>10.2f}\n", r.name, r.seconds, mbps, vps);
    j["stages"].push_back({{"stage", r.name}, {"seconds", r.seconds}, {"mb_per_s", mbps}, {"volumes_per_s", vps}});
  }
  fmt::print(
      "note: MB/s counts decoded voxel bytes for write/decode, stored chunk bytes for raw chunks, and "
      "file bytes for the sequential read; the sequential and raw-chunk reads are served from the page "
      "cache after the first repeat, so they measure memory, not disk.\n");
  std::cout << j.dump() << std::endl;
  return 0;
} catch (const cagcl::Error& e) {
  std::cerr << "shard_io_bench: " << e.what() << "\n";
  return static_cast<int>(e.code());
}
