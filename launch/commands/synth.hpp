#pragma once
// `cagcl synth` as a function, so that `cagcl train` with no arguments (the embedded demo) can synthesise its
// dataset in-process when it is missing.
#include <cstdint>
#include <string>

namespace cagcl {

struct SynthOptions {
  std::string out;
  int64_t volumes = 64;
  int64_t shards = 1;
  uint64_t seed = 42;
  std::string size = "64x128x128";
  std::string spacing;
  double valid_fraction = 0.2;
  double test_fraction = 0.0;
  int64_t threads = 0;
  std::string format = "shards";
};

// Writes the dataset (docs/synthetic-phantoms.md); UsageError naming the flag on a bad option.
void run_synth(const SynthOptions& options);

}  // namespace cagcl
