#pragma once
// Shared helpers of the phantom tests: small options, plans with forced labels, and measurements on the
// rendered (noisy, int16) volume that stand in for "a reader can see it".
#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <vector>

#include "data/phantom/finding_ids.hpp"
#include "data/phantom/phantom.hpp"

namespace cagcl::data::phantom::testing {

inline PhantomOptions small_options(uint64_t seed = 42) {
  PhantomOptions o;
  o.size = {32, 64, 64};
  o.seed = seed;
  return o;
}

// Plan `index` of a small cohort with exactly the given findings positive.
inline ScanPlan plan_with(const PhantomOptions& options, int64_t index, std::vector<int> positive) {
  ScanPlan plan = plan_cohort(index + 1, options).at(static_cast<size_t>(index));
  plan.labels.assign(kNumFindings, 0);
  for (int f : positive) plan.labels[static_cast<size_t>(f)] = 1;
  return plan;
}

// A rendered scan with voxel-level queries in millimetres (grid.hpp's frame: centre of the volume = 0).
struct Scan {
  Sample s;

  double mm(int axis, int64_t i) const {
    return (static_cast<double>(i) - 0.5 * (s.shape[axis] - 1)) * s.spacing[axis];
  }
  double voxel_ml() const { return s.spacing[0] * s.spacing[1] * s.spacing[2] / 1000.0; }

  // Calls f(label, hu, z_mm, y_mm, x_mm) for every voxel.
  void each(const std::function<void(uint8_t, int, double, double, double)>& f) const {
    size_t idx = 0;
    for (int64_t k = 0; k < s.shape[0]; ++k)
      for (int64_t j = 0; j < s.shape[1]; ++j)
        for (int64_t i = 0; i < s.shape[2]; ++i, ++idx) f(s.anatomy[idx], s.volume[idx], mm(0, k), mm(1, j), mm(2, i));
  }
  int64_t count(const std::function<bool(uint8_t, int, double, double, double)>& pred) const {
    int64_t n = 0;
    each([&](uint8_t l, int hu, double z, double y, double x) { n += pred(l, hu, z, y, x) ? 1 : 0; });
    return n;
  }
  int64_t count_in(uint8_t anatomy, int lo_hu, int hi_hu) const {
    return count([&](uint8_t l, int hu, double, double, double) { return l == anatomy && hu > lo_hu && hu < hi_hu; });
  }
  int64_t mask_voxels(uint8_t anatomy) const {
    return static_cast<int64_t>(std::count(s.anatomy.begin(), s.anatomy.end(), anatomy));
  }
  double fraction_of(uint8_t anatomy, int lo_hu, int hi_hu) const {
    return static_cast<double>(count_in(anatomy, lo_hu, hi_hu)) / static_cast<double>(mask_voxels(anatomy));
  }
  // [min, max] of a mask's z (mm).
  std::array<double, 2> z_range(uint8_t anatomy) const {
    std::array<double, 2> r{1e9, -1e9};
    each([&](uint8_t l, int, double z, double, double) {
      if (l == anatomy) r = {std::min(r[0], z), std::max(r[1], z)};
    });
    return r;
  }
  // Largest left-right extent (mm, voxel centres + one voxel) of a mask over all axial slices.
  double max_width_mm(uint8_t anatomy) const {
    double best = 0;
    for (int64_t k = 0; k < s.shape[0]; ++k) {
      int64_t lo = s.shape[2], hi = -1;
      for (int64_t j = 0; j < s.shape[1]; ++j)
        for (int64_t i = 0; i < s.shape[2]; ++i)
          if (s.anatomy[static_cast<size_t>((k * s.shape[1] + j) * s.shape[2] + i)] == anatomy) {
            lo = std::min(lo, i);
            hi = std::max(hi, i);
          }
      if (hi >= lo) best = std::max(best, static_cast<double>(hi - lo + 1) * s.spacing[2]);
    }
    return best;
  }
};

inline Scan render_scan(const ScanPlan& plan, const PhantomOptions& options) { return Scan{render(plan, options)}; }

}  // namespace cagcl::data::phantom::testing
