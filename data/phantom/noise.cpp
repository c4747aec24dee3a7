#include "data/phantom/noise.hpp"

#include <algorithm>
#include <cmath>

#include "data/phantom/rng.hpp"

namespace cagcl::data::phantom {

namespace {

// Sum of four 16-bit uniforms (Irwin-Hall, n = 4): near-Gaussian, variance 4 * (2^32 - 1) / 12.
// Scaling by sd / sqrt(that variance) in fixed point (16 fractional bits) keeps it integer-exact.
constexpr int64_t kIrwinHallMean = 2 * 65535;
const int64_t kScaleQ16 =
    static_cast<int64_t>(kNoiseSdHu / std::sqrt(4.0 * (65536.0 * 65536.0 - 1) / 12.0) * 65536.0 + 0.5);

int64_t noise_hu(uint64_t bits) {
  const int64_t sum = static_cast<int64_t>(bits & 0xffff) + static_cast<int64_t>((bits >> 16) & 0xffff) +
                      static_cast<int64_t>((bits >> 32) & 0xffff) + static_cast<int64_t>(bits >> 48);
  const int64_t scaled = (sum - kIrwinHallMean) * kScaleQ16;
  // Round half away from zero, symmetric so the noise stays zero-mean.
  return scaled >= 0 ? (scaled + 32768) >> 16 : -((-scaled + 32768) >> 16);
}

}  // namespace

std::vector<int16_t> quantise_with_noise(const std::vector<float>& hu, uint64_t seed) {
  std::vector<int16_t> out(hu.size());
  uint64_t state = seed;
  for (size_t i = 0; i < hu.size(); ++i) {
    const int64_t base = static_cast<int64_t>(std::floor(static_cast<double>(hu[i]) + 0.5));
    const int64_t value = base + noise_hu(splitmix64_next(state));
    out[i] = static_cast<int16_t>(std::clamp<int64_t>(value, kMinHu, kMaxHu));
  }
  return out;
}

}  // namespace cagcl::data::phantom
