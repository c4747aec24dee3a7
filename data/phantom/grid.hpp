#pragma once
// The voxel canvas phantoms are painted on, and the few solid shapes everything is built from.
// Geometry is in millimetres relative to the volume centre, so one description works at any size/spacing:
//   z: superior -> inferior (slice 0 is the most superior), y: anterior -> posterior,
//   x: patient right -> patient left (radiological display: the patient's right is on the image's left).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

namespace cagcl::data::phantom {

struct Vec3 {
  double z = 0, y = 0, x = 0;
};
inline Vec3 operator+(Vec3 a, Vec3 b) { return {a.z + b.z, a.y + b.y, a.x + b.x}; }
inline Vec3 operator-(Vec3 a, Vec3 b) { return {a.z - b.z, a.y - b.y, a.x - b.x}; }
inline Vec3 operator*(double s, Vec3 a) { return {s * a.z, s * a.y, s * a.x}; }
inline double dot(Vec3 a, Vec3 b) { return a.z * b.z + a.y * b.y + a.x * b.x; }

// Half-open voxel index ranges per axis.
struct Box {
  std::array<int64_t, 3> lo{0, 0, 0}, hi{0, 0, 0};
  bool empty() const { return lo[0] >= hi[0] || lo[1] >= hi[1] || lo[2] >= hi[2]; }
};

struct Grid {
  std::array<int64_t, 3> shape{0, 0, 0};
  std::array<double, 3> spacing{1, 1, 1};
  std::vector<float> hu;       // attenuation before noise
  std::vector<uint8_t> label;  // anatomy label map

  Grid(std::array<int64_t, 3> shape_, std::array<double, 3> spacing_)
      : shape(shape_),
        spacing(spacing_),
        hu(static_cast<size_t>(shape_[0] * shape_[1] * shape_[2]), -1000.0f),
        label(static_cast<size_t>(shape_[0] * shape_[1] * shape_[2]), 0) {}

  double mm(int axis, int64_t i) const { return (static_cast<double>(i) - 0.5 * (shape[axis] - 1)) * spacing[axis]; }
  Vec3 position(int64_t k, int64_t j, int64_t i) const { return {mm(0, k), mm(1, j), mm(2, i)}; }
  size_t index(int64_t k, int64_t j, int64_t i) const { return static_cast<size_t>((k * shape[1] + j) * shape[2] + i); }
  double extent_mm(int axis) const { return shape[axis] * spacing[axis]; }

  // Voxels whose centres lie in [lo, hi] (mm), clipped to the volume.
  Box box(Vec3 lo, Vec3 hi) const {
    Box b;
    const double l[3] = {lo.z, lo.y, lo.x}, h[3] = {hi.z, hi.y, hi.x};
    for (int a = 0; a < 3; ++a) {
      const double centre = 0.5 * (shape[a] - 1);
      b.lo[a] = std::clamp<int64_t>(static_cast<int64_t>(std::ceil(l[a] / spacing[a] + centre)), 0, shape[a]);
      b.hi[a] = std::clamp<int64_t>(static_cast<int64_t>(std::floor(h[a] / spacing[a] + centre)) + 1, 0, shape[a]);
    }
    return b;
  }
  Box all() const { return Box{{0, 0, 0}, shape}; }

  // Calls f(voxel index, centre in mm) for every voxel of the box.
  template <class F>
  void for_each(const Box& b, F&& f) const {
    for (int64_t k = b.lo[0]; k < b.hi[0]; ++k) {
      const double z = mm(0, k);
      for (int64_t j = b.lo[1]; j < b.hi[1]; ++j) {
        const double y = mm(1, j);
        size_t idx = index(k, j, b.lo[2]);
        for (int64_t i = b.lo[2]; i < b.hi[2]; ++i, ++idx) f(idx, Vec3{z, y, mm(2, i)});
      }
    }
  }
};

// Radius along each axis that keeps a structure of nominal radius r_mm visible: at least 0.9 voxel, so the
// voxel centre nearest to any point of the structure's core lies inside it (0.5/0.9 * sqrt(3) < 1).
inline Vec3 visible_radii(double r_mm, const Grid& g) {
  return {std::max(r_mm, 0.9 * g.spacing[0]), std::max(r_mm, 0.9 * g.spacing[1]), std::max(r_mm, 0.9 * g.spacing[2])};
}

// Axis-aligned ellipsoid.
struct Ellipsoid {
  Vec3 centre, radii;
  // Squared normalised radius: < 1 inside, 1 on the surface.
  double rho2(const Vec3& p) const {
    const double dz = (p.z - centre.z) / radii.z, dy = (p.y - centre.y) / radii.y, dx = (p.x - centre.x) / radii.x;
    return dz * dz + dy * dy + dx * dx;
  }
  bool contains(const Vec3& p) const { return rho2(p) <= 1.0; }
  Box box(const Grid& g) const { return g.box(centre - radii, centre + radii); }
};

// Segment a-b swept by an axis-aligned ellipsoid of radii r: a tube with rounded ends. Measured in the space
// scaled by 1/r, so per-axis minimum radii (visible_radii) keep thin tubes continuous at coarse spacing.
struct Capsule {
  Vec3 a, b, radii;
  // Squared normalised distance to the axis, and the position t in [0, 1] of the closest axis point.
  double rho2(const Vec3& p, double* t_out = nullptr) const {
    const Vec3 ab{(b.z - a.z) / radii.z, (b.y - a.y) / radii.y, (b.x - a.x) / radii.x};
    const Vec3 ap{(p.z - a.z) / radii.z, (p.y - a.y) / radii.y, (p.x - a.x) / radii.x};
    const double len2 = dot(ab, ab);
    const double t = len2 > 0 ? std::clamp(dot(ap, ab) / len2, 0.0, 1.0) : 0.0;
    if (t_out) *t_out = t;
    const Vec3 d = ap - t * ab;
    return dot(d, d);
  }
  bool contains(const Vec3& p) const { return rho2(p) <= 1.0; }
  Box box(const Grid& g) const {
    const Vec3 lo{std::min(a.z, b.z) - radii.z, std::min(a.y, b.y) - radii.y, std::min(a.x, b.x) - radii.x};
    const Vec3 hi{std::max(a.z, b.z) + radii.z, std::max(a.y, b.y) + radii.y, std::max(a.x, b.x) + radii.x};
    return g.box(lo, hi);
  }
};

// Paints `hu` into every voxel of `shape` that `where(current label)` allows; also sets the label there when
// `label` >= 0 (findings inside an organ keep the organ's label).
template <class Shape, class Where>
void paint(Grid& g, const Shape& shape, float hu, Where&& where, int label = -1) {
  g.for_each(shape.box(g), [&](size_t idx, const Vec3& p) {
    if (!where(g.label[idx]) || !shape.contains(p)) return;
    g.hu[idx] = hu;
    if (label >= 0) g.label[idx] = static_cast<uint8_t>(label);
  });
}

inline auto anywhere() {
  return [](uint8_t) { return true; };
}
inline auto only_in(uint8_t anatomy) {
  return [anatomy](uint8_t l) { return l == anatomy; };
}

}  // namespace cagcl::data::phantom
