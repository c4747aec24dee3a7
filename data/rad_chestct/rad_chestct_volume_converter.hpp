#pragma once
// One Rad-ChestCT volume -> one Sample (docs/converting.md, "Rad-ChestCT"):
//   1. the label row (NoteAcc_DEID) -> the dataset's labels by the label map;
//   2. the array 'ct' of <name>.npz: HU as stored, [D,H,W] already in the frame every Sample uses (slices
//      from superior to inferior, rows anterior to posterior, columns patient right to left: the frame of the
//      release's lung-extrema columns sup/inf_axis0, ant/pos_axis1, rig/lef_axis2), at `source_spacing`;
//   3. the TotalSegmentator mask <name>.nii.gz, brought into that frame by its own affine, must have the
//      volume's shape and spacing; its classes are merged into the anatomies;
//   4. resampled to the target spacing (trilinear / nearest) and cropped to the anatomies' box + margin.
// Rad-ChestCT's public release has no report text: every anatomy is stored without sentences, and the
// dataset is marked as having no reports (it is for evaluation, not training).
#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "data/convert/anatomy_mapping.hpp"
#include "data/nifti/nifti_image.hpp"
#include "data/rad_chestct/rad_chestct_inputs.hpp"
#include "data/rad_chestct/rad_chestct_label_map.hpp"
#include "data/sample.hpp"

namespace cagcl::data::rad_chestct {

inline constexpr const char* kVolumeArray = "ct";

struct VolumeConvertOptions {
  std::array<double, 3> source_spacing{0.8, 0.8, 0.8};  // z, y, x (mm) of the release's volumes
  std::array<double, 3> spacing{3, 1, 1};               // target z, y, x (mm); fVLM: 1 x 1 x 3 mm (x, y, z)
  std::array<int64_t, 3> margin{5, 20, 20};             // D, H, W voxels around the anatomies' box
};

// RAS+ voxel-to-world matrix of a [D,H,W] array in the Sample frame stored as NIfTI (i = W, j = H, k = D):
// what `--export-nifti` writes, so that TotalSegmentator's masks come back in a known frame.
nifti::Matrix4 frame_affine(const std::array<double, 3>& spacing);

class RadChestCtVolumeConverter {
 public:
  RadChestCtVolumeConverter(const RadChestCtInputs& inputs, const convert::AnatomyMapping& mapping,
                            const LabelMap& label_map, VolumeConvertOptions options);
  Sample convert(const std::string& name) const;
  // The volume as NIfTI for TotalSegmentator (int16 HU, frame_affine): the reading part, whose failures are the
  // volume's; then export_nifti writes it as OUT_DIR/<name>.nii.gz, whose failures are the output's.
  struct NiftiVolume {
    nifti::NiftiWriteSpec spec;
    std::vector<int16_t> voxels;
  };
  NiftiVolume nifti_volume(const std::string& name) const;
  void export_nifti(const std::string& name, const std::filesystem::path& out_dir) const;

 private:
  // The one file of `name`; DataError when there is none or more than one.
  const std::filesystem::path& volume_file(const std::string& name) const;
  // The array 'ct' as HU, checked: 3-D, finite, each side within the NIfTI limits.
  std::vector<float> read_hu(const std::string& name, std::array<int64_t, 3>& shape) const;

  const RadChestCtInputs& inputs_;
  const convert::AnatomyMapping& mapping_;
  const LabelMap& label_map_;
  VolumeConvertOptions options_;
};

}  // namespace cagcl::data::rad_chestct
