#pragma once
// Bringing a volume stored in any axis-aligned orientation into the frame every Sample uses
// (docs/synthetic-phantoms.md, "Coordinates"): D from superior to inferior, H from anterior to posterior,
// W from the patient's right to the patient's left. In DICOM's LPS patient coordinates (x to the left,
// y to posterior, z to superior) that is D = -z, H = +y, W = +x.
//
// The source is a C-order array [nk][nj][ni] (NIfTI's i fastest). Oblique acquisitions are mapped to the
// nearest axis-aligned orientation without interpolation (as nibabel's as_closest_canonical does); an
// orientation where two index axes point mostly along the same patient axis is a DataError.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "data/nifti/nifti_image.hpp"

namespace cagcl::data::nifti {

using Vec3 = std::array<double, 3>;

// Direction (unit vector, LPS) of the index axes i, j, k, and their spacing.
struct IndexGeometry {
  std::array<Vec3, 3> direction{};  // direction[c] for c = i, j, k
  Vec3 spacing{1, 1, 1};            // along i, j, k (mm)
};

// From a NIfTI voxel-to-world matrix (RAS+): directions flipped to LPS, spacing = column norms.
IndexGeometry geometry_from_ras_affine(const Matrix4& affine, const std::string& what);
// From DICOM fields as CT-RATE's metadata gives them: ImageOrientationPatient (row cosine = direction of
// i, column cosine = direction of j), the slice direction k = row x column, XY spacing (i, j) and Z spacing.
IndexGeometry geometry_from_dicom(const std::array<double, 6>& orientation, double spacing_i, double spacing_j,
                                  double spacing_k, const std::string& what);

struct Reorientation {
  std::array<int, 3> source_axis{0, 1,
                                 2};  // for target axis t (D, H, W): the source C-order axis (0 = k, 1 = j, 2 = i)
  std::array<bool, 3> flip{false, false, false};  // reverse the source along target axis t
};

// DataError naming `what` when the directions are degenerate or two axes share a patient axis.
Reorientation canonical_reorientation(const IndexGeometry& g, const std::string& what);

// Target shape [D,H,W] and spacing (z,y,x) of a source [nk,nj,ni] with `g`'s spacing.
std::array<int64_t, 3> reoriented_shape(const std::array<int64_t, 3>& source_shape, const Reorientation& r);
std::array<double, 3> reoriented_spacing(const IndexGeometry& g, const Reorientation& r);

template <class T>
std::vector<T> reorient(const std::vector<T>& source, const std::array<int64_t, 3>& source_shape,
                        const Reorientation& r);

}  // namespace cagcl::data::nifti
