#pragma once
// Random numbers keyed by what they are for: (seed, purpose, epoch, sample index) -> an independent
// xoshiro256** stream. Every random decision of the data pipeline (epoch permutation, crop, flip, text
// augmentation) is a pure function of its key, so a resumed run, any worker count and any thread timing give
// the same batches.
// std:: distributions are implementation-defined, so integers and uniforms are made here.
#include <cstdint>

#include "data/phantom/rng.hpp"

namespace cagcl::data {

// Values are part of the reproducibility contract: changing one changes every epoch order or crop.
enum class RngPurpose : uint64_t { sampler = 101, crop = 102, flip = 103, text_augmentation = 104 };

class KeyedRng {
 public:
  KeyedRng(uint64_t seed, RngPurpose purpose, uint64_t a, uint64_t b = 0)
      : rng_(phantom::derive_seed(phantom::derive_seed(phantom::derive_seed(seed, static_cast<uint64_t>(purpose)), a),
                                  b)) {}

  uint64_t next() { return rng_.next(); }
  // Uniform in [0, n), unbiased (rejection of the short top range); n >= 1.
  uint64_t below(uint64_t n) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = rng_.next();
    while (x >= limit);
    return x % n;
  }
  double uniform() { return rng_.uniform(); }
  bool bernoulli(double p) { return rng_.uniform() < p; }

 private:
  phantom::Rng rng_;
};

}  // namespace cagcl::data
