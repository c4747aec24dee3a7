#pragma once
// The generator's own random numbers. std::normal_distribution and friends are implementation-defined, so
// phantoms would differ between libstdc++ and libc++; everything here is integer arithmetic plus IEEE-754
// +, -, *, / (no transcendental functions), which is bit-exact everywhere.
#include <cstdint>

namespace cagcl::data::phantom {

inline uint64_t splitmix64_next(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A well-mixed 64-bit function of its input (one splitmix64 step).
inline uint64_t hash64(uint64_t x) { return splitmix64_next(x); }

// Seed of a sub-stream: the parent seed and a tag (label index, scan index, purpose) give an independent
// stream, so adding or removing one finding never shifts the random numbers of another.
inline uint64_t derive_seed(uint64_t parent, uint64_t tag) {
  return hash64(parent ^ hash64(tag + 0x632be59bd9b4e019ULL));
}

// Purposes of sub-streams; values are part of the data format (changing them changes every phantom).
enum class Stream : uint64_t {
  patient = 1,
  scan = 2,
  body = 3,
  vessels = 4,
  finding = 5,
  wording = 6,
  noise = 7,
  labels = 8,
};

inline uint64_t derive_seed(uint64_t parent, Stream purpose, uint64_t tag = 0) {
  return derive_seed(derive_seed(parent, static_cast<uint64_t>(purpose)), tag);
}

// xoshiro256** (Blackman & Vigna), seeded through splitmix64 as its authors recommend.
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (auto& word : s_) word = splitmix64_next(seed);
  }

  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  bool bernoulli(double p) { return uniform() < p; }
  // 0..n-1
  int below(int n) { return static_cast<int>(uniform() * n); }
  // Standard normal approximated by the Irwin-Hall sum of 12 uniforms (exact mean 0, variance 1, tails cut
  // at +-6): good enough for anatomy jitter and free of log/cos.
  double normal() {
    double sum = 0;
    for (int i = 0; i < 12; ++i) sum += uniform();
    return sum - 6.0;
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace cagcl::data::phantom
