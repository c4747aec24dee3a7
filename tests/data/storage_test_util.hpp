#pragma once
// Shared fixtures for the storage tests: small hand-built samples, a self-removing temp dir, and
// field-by-field sample comparison.
#include <gtest/gtest.h>

#include <unistd.h>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "common/error.hpp"
#include "data/hdf5.hpp"
#include "data/sample.hpp"
#include "data/schema.hpp"
#include "data/shard_layout.hpp"
#include "data/text_id.hpp"

#include "tests/common/temp_dir.hpp"

namespace cagcl::data::testing {

using cagcl::test_support::TempDir;

inline ShardLayout test_layout(Compression c = Compression::deflate_shuffle) {
  ShardLayout layout;
  layout.anatomies = {"lung", "heart", "aorta"};
  layout.labels = ct_rate_labels();
  layout.compression = c;
  return layout;
}

// A small but complete sample whose content depends on `seed`: 8x12x10 voxels, 3 anatomies, a few sentences
// (anatomy 2 normal), some labels set. `sentences = false` makes every anatomy normal.
inline Sample make_sample(int seed, bool sentences = true) {
  const ShardLayout layout = test_layout();
  Sample s;
  s.name = "train_" + std::to_string(seed) + "_a_1";
  s.patient = "patient_" + std::to_string(seed / 2);
  s.split = seed % 5 == 4 ? "valid" : "train";
  s.shape = {8, 12, 10};
  s.spacing = {3.0, 0.75 + 0.01 * seed, 0.75};
  std::mt19937 rng(static_cast<unsigned>(seed));
  s.volume.resize(static_cast<size_t>(s.voxels()));
  s.anatomy.resize(s.volume.size());
  for (size_t i = 0; i < s.volume.size(); ++i) {
    s.volume[i] = static_cast<int16_t>(static_cast<int>(rng() % 2500) - 1150);
    s.anatomy[i] = static_cast<uint8_t>((i / 37 + static_cast<size_t>(seed)) % 4);
  }
  const size_t A = layout.anatomies.size();
  s.conclusion.assign(A, {});
  s.description.assign(A, {});
  if (sentences) {
    s.conclusion[0] = {"Nodule in the right lower lobe, seed " + std::to_string(seed) + "."};
    s.description[0] = {"A 4 mm nodule is seen.", "No effusion — ünïcode ok."};
    s.description[2] = {"Calcified plaques in the aorta."};
  }
  for (size_t a = 0; a < A; ++a) {
    s.normal.push_back(s.conclusion[a].empty() && s.description[a].empty() ? 1 : 0);
    s.text_id.push_back(text_id(layout.anatomies[a], s.conclusion[a], s.description[a]));
  }
  s.labels.assign(layout.labels.size(), 0);
  s.labels[static_cast<size_t>(seed) % s.labels.size()] = 1;
  s.labels[9] = 1;
  s.findings = sentences ? "A 4 mm nodule is seen. Calcified plaques in the aorta." : "";
  s.impression = sentences ? "Nodule in the right lower lobe." : "";
  return s;
}

inline void expect_same_metadata(const Sample& a, const Sample& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.patient, b.patient);
  EXPECT_EQ(a.split, b.split);
  EXPECT_EQ(a.shape, b.shape);
  EXPECT_EQ(a.spacing, b.spacing);
  EXPECT_EQ(a.conclusion, b.conclusion);
  EXPECT_EQ(a.description, b.description);
  EXPECT_EQ(a.normal, b.normal);
  EXPECT_EQ(a.text_id, b.text_id);
  EXPECT_EQ(a.labels, b.labels);
  EXPECT_EQ(a.findings, b.findings);
  EXPECT_EQ(a.impression, b.impression);
}

inline void expect_same_sample(const Sample& a, const Sample& b) {
  expect_same_metadata(a, b);
  EXPECT_EQ(a.volume, b.volume);
  EXPECT_EQ(a.anatomy, b.anatomy);
}

inline std::string read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// File offset and stored size of chunk `index` of the chunked dataset `member` of the shard at `path`.
inline std::pair<haddr_t, hsize_t> chunk_location(const std::filesystem::path& path, const char* member,
                                                  hsize_t index = 0) {
  h5::init();
  h5::Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  h5::Handle d(H5Dopen2(file, member, H5P_DEFAULT), H5Dclose);
  h5::Handle space(H5Dget_space(d), H5Sclose);
  hsize_t offset[3];
  unsigned mask = 0;
  haddr_t addr = 0;
  hsize_t size = 0;
  EXPECT_GE(H5Dget_chunk_info(d, space, index, offset, &mask, &addr, &size), 0) << path << ": " << member;
  return {addr, size};
}

// Corrupts one byte of the file in place (XOR 0x5a), as a bad disk or transfer would.
inline void flip_byte(const std::filesystem::path& path, uint64_t at) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(at));
  char c = 0;
  f.get(c);
  f.seekp(static_cast<std::streamoff>(at));
  f.put(static_cast<char>(c ^ 0x5a));
}

// Runs `f`, expects an exception of type E whose message contains every one of `parts`.
template <class E, class F>
void expect_error(F&& f, std::initializer_list<std::string> parts) {
  try {
    f();
    ADD_FAILURE() << "no exception thrown";
  } catch (const E& e) {
    const std::string msg = e.what();
    for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
  }
}

}  // namespace cagcl::data::testing
