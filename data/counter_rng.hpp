#pragma once
// Counter-based random numbers: draw i of a stream is a pure function of (key, i), so a value depends only
// on what it is for (seed, epoch, sample, anatomy, ...) and never on how many values were drawn before,
// on the thread, rank or resume point. splitmix64's finaliser (Steele, Lea & Flood) does the mixing.
// Integers and doubles are made by hand: std:: distributions are implementation-defined.
#include <cstdint>
#include <initializer_list>

namespace cagcl::data {

inline uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A key from several integers; the order matters ((1, 2) != (2, 1)).
inline uint64_t counter_key(std::initializer_list<uint64_t> parts) {
  uint64_t key = 0x6a09e667f3bcc909ULL;
  for (uint64_t part : parts) key = splitmix64(key ^ splitmix64(part));
  return key;
}

class CounterRng {
 public:
  explicit CounterRng(uint64_t key) : key_(key) {}
  uint64_t next() { return splitmix64(key_ ^ splitmix64(counter_++)); }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform in [0, n), n >= 1 (the bias of a 53-bit draw scaled to n is below 2^-40 for any n we use).
  uint64_t below(uint64_t n) {
    const auto k = static_cast<uint64_t>(uniform() * static_cast<double>(n));
    return k < n ? k : n - 1;
  }

 private:
  uint64_t key_;
  uint64_t counter_ = 0;
};

}  // namespace cagcl::data
