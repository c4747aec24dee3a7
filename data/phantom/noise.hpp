#pragma once
// CT noise and quantisation to int16 Hounsfield units.
#include <cstdint>
#include <vector>

namespace cagcl::data::phantom {

inline constexpr double kNoiseSdHu = 15.0;
inline constexpr int kMinHu = -1024, kMaxHu = 3071;  // 12-bit CT range

// Rounds `hu` to integers, adds zero-mean noise of kNoiseSdHu, clamps to [kMinHu, kMaxHu]. The noise is a
// pure function of (seed, voxel index), in integer arithmetic, so it is identical on every platform and does
// not change when findings are added or removed.
std::vector<int16_t> quantise_with_noise(const std::vector<float>& hu, uint64_t seed);

}  // namespace cagcl::data::phantom
