#include "data/nifti/orientation.hpp"

#include <cmath>

#include <fmt/format.h>

#include "common/error.hpp"

namespace cagcl::data::nifti {
namespace {

// Patient axis (0 = x, 1 = y, 2 = z in LPS) of target axis t, and the sign the target runs along it.
constexpr std::array<int, 3> kPatientAxisOfTarget = {2, 1, 0};
constexpr std::array<int, 3> kSignOfTarget = {-1, +1, +1};

Vec3 normalised(const Vec3& v, const std::string& what, const char* axis) {
  const double n = std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
  if (!std::isfinite(n) || n < 1e-6) throw DataError(fmt::format("{}: direction of axis {} is degenerate", what, axis));
  return {v[0] / n, v[1] / n, v[2] / n};
}

}  // namespace

IndexGeometry geometry_from_ras_affine(const Matrix4& a, const std::string& what) {
  IndexGeometry g;
  const char* names[3] = {"i", "j", "k"};
  for (int c = 0; c < 3; ++c) {
    // RAS -> LPS: x and y change sign.
    const Vec3 column{-a[0][c], -a[1][c], a[2][c]};
    g.spacing[c] = std::sqrt(column[0] * column[0] + column[1] * column[1] + column[2] * column[2]);
    if (!std::isfinite(g.spacing[c]) || g.spacing[c] <= 0)
      throw DataError(fmt::format("{}: affine column {} has no length", what, names[c]));
    g.direction[c] = normalised(column, what, names[c]);
  }
  return g;
}

IndexGeometry geometry_from_dicom(const std::array<double, 6>& o, double spacing_i, double spacing_j, double spacing_k,
                                  const std::string& what) {
  IndexGeometry g;
  g.direction[0] = normalised({o[0], o[1], o[2]}, what, "i (ImageOrientationPatient row)");
  g.direction[1] = normalised({o[3], o[4], o[5]}, what, "j (ImageOrientationPatient column)");
  const Vec3& r = g.direction[0];
  const Vec3& c = g.direction[1];
  g.direction[2] = normalised({r[1] * c[2] - r[2] * c[1], r[2] * c[0] - r[0] * c[2], r[0] * c[1] - r[1] * c[0]}, what,
                              "k (slice normal)");
  g.spacing = {spacing_i, spacing_j, spacing_k};
  return g;
}

Reorientation canonical_reorientation(const IndexGeometry& g, const std::string& what) {
  Reorientation r;
  std::array<bool, 3> taken{false, false, false};
  for (int c = 0; c < 3; ++c) {
    const Vec3& d = g.direction[c];
    int p = 0;
    for (int q = 1; q < 3; ++q)
      if (std::fabs(d[q]) > std::fabs(d[p])) p = q;
    int t = 0;
    while (kPatientAxisOfTarget[t] != p) ++t;
    if (taken[t]) {
      throw DataError(
          fmt::format("{}: index axes point along the same patient axis (directions i [{:.3f} {:.3f} "
                      "{:.3f}], j [{:.3f} {:.3f} {:.3f}], k [{:.3f} {:.3f} {:.3f}])",
                      what, g.direction[0][0], g.direction[0][1], g.direction[0][2], g.direction[1][0],
                      g.direction[1][1], g.direction[1][2], g.direction[2][0], g.direction[2][1], g.direction[2][2]));
    }
    taken[t] = true;
    r.source_axis[t] = 2 - c;  // index axis i is the last (fastest) C-order axis
    r.flip[t] = (d[p] > 0 ? 1 : -1) != kSignOfTarget[t];
  }
  return r;
}

std::array<int64_t, 3> reoriented_shape(const std::array<int64_t, 3>& source_shape, const Reorientation& r) {
  return {source_shape[r.source_axis[0]], source_shape[r.source_axis[1]], source_shape[r.source_axis[2]]};
}

std::array<double, 3> reoriented_spacing(const IndexGeometry& g, const Reorientation& r) {
  std::array<double, 3> s{};
  for (int t = 0; t < 3; ++t) s[t] = g.spacing[2 - r.source_axis[t]];
  return s;
}

template <class T>
std::vector<T> reorient(const std::vector<T>& source, const std::array<int64_t, 3>& source_shape,
                        const Reorientation& r) {
  const std::array<int64_t, 3> source_stride = {source_shape[1] * source_shape[2], source_shape[2], 1};
  const auto shape = reoriented_shape(source_shape, r);
  if (static_cast<int64_t>(source.size()) != shape[0] * shape[1] * shape[2])
    throw UsageError("reorient: source size does not match its shape");
  std::array<int64_t, 3> stride{};
  int64_t start = 0;
  for (int t = 0; t < 3; ++t) {
    stride[t] = source_stride[r.source_axis[t]];
    if (r.flip[t]) {
      start += (shape[t] - 1) * stride[t];
      stride[t] = -stride[t];
    }
  }
  std::vector<T> out(source.size());
  size_t o = 0;
  for (int64_t d = 0; d < shape[0]; ++d) {
    for (int64_t h = 0; h < shape[1]; ++h) {
      int64_t s = start + d * stride[0] + h * stride[1];
      for (int64_t w = 0; w < shape[2]; ++w, s += stride[2]) out[o++] = source[static_cast<size_t>(s)];
    }
  }
  return out;
}

template std::vector<float> reorient(const std::vector<float>&, const std::array<int64_t, 3>&, const Reorientation&);
template std::vector<uint8_t> reorient(const std::vector<uint8_t>&, const std::array<int64_t, 3>&,
                                       const Reorientation&);
template std::vector<int16_t> reorient(const std::vector<int16_t>&, const std::array<int64_t, 3>&,
                                       const Reorientation&);

}  // namespace cagcl::data::nifti
