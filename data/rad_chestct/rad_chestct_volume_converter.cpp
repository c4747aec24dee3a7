#include "data/rad_chestct/rad_chestct_volume_converter.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "common/error.hpp"
#include "data/convert/anatomy_crop.hpp"
#include "data/convert/resample.hpp"
#include "data/nifti/orientation.hpp"
#include "data/npz/npz_archive.hpp"
#include "data/text_id.hpp"

namespace cagcl::data::rad_chestct {
namespace {

// A mask made from the exported NIfTI has the volume's spacing; more than this relative difference means it
// belongs to another grid (another resampling, or another --source-spacing).
constexpr double kSpacingTolerance = 0.01;

}  // namespace

nifti::Matrix4 frame_affine(const std::array<double, 3>& spacing) {
  // W runs to the patient's left (RAS -x), H to posterior (-y), D to inferior (-z).
  nifti::Matrix4 m = nifti::identity4();
  m[0][0] = -spacing[2];
  m[1][1] = -spacing[1];
  m[2][2] = -spacing[0];
  return m;
}

RadChestCtVolumeConverter::RadChestCtVolumeConverter(const RadChestCtInputs& inputs,
                                                     const convert::AnatomyMapping& mapping, const LabelMap& label_map,
                                                     VolumeConvertOptions options)
    : inputs_(inputs), mapping_(mapping), label_map_(label_map), options_(options) {}

const std::filesystem::path& RadChestCtVolumeConverter::volume_file(const std::string& name) const {
  const auto files = inputs_.volumes.find(name);
  if (files == inputs_.volumes.end()) throw DataError(fmt::format("volume '{}': no file", name));
  if (files->second.size() != 1) {
    throw DataError(fmt::format("volume '{}': {} files ({} and {})", name, files->second.size(),
                                files->second[0].string(), files->second[1].string()));
  }
  return files->second[0];
}

std::vector<float> RadChestCtVolumeConverter::read_hu(const std::string& name, std::array<int64_t, 3>& shape) const {
  const auto& path = volume_file(name);
  const nifti::NiftiLimits limits;
  npz::NpyLimits npy_limits;
  npy_limits.max_elements = limits.max_voxels;
  const npz::NpyArray ct = npz::NpzArchive::open(path).read(kVolumeArray, npy_limits);
  if (ct.shape.size() != 3)
    throw DataError(fmt::format("{}: array '{}' has {} dimensions, expected 3 (D, H, W)", path.string(), kVolumeArray,
                                ct.shape.size()));
  for (size_t a = 0; a < 3; ++a) {
    if (ct.shape[a] < 1 || ct.shape[a] > limits.max_dim)
      throw DataError(fmt::format("{}: array '{}' side {} = {} is outside [1, {}]", path.string(), kVolumeArray, a,
                                  ct.shape[a], limits.max_dim));
    shape[a] = ct.shape[a];
  }
  std::vector<float> hu = ct.as_float();
  for (size_t i = 0; i < hu.size(); ++i) {
    if (!std::isfinite(hu[i]) || std::fabs(hu[i]) > 32767.0f)
      throw DataError(fmt::format("{}: array '{}' holds {} at element {}, not a Hounsfield unit", path.string(),
                                  kVolumeArray, hu[i], i));
  }
  return hu;
}

Sample RadChestCtVolumeConverter::convert(const std::string& name) const {
  // 1. Labels (first: a volume without a label row fails before its volume is read).
  const convert::CsvIndex::Row row = inputs_.labels.row_of(name, "label");
  Sample s;
  s.name = name;
  s.patient = name;  // the public release has no patient ids
  s.split = split_of(name, row.table->origin());
  s.labels = label_map_.labels_of(*row.table, row.row, label_map_.columns_of(*row.table));

  // 2. Volume.
  std::array<int64_t, 3> shape{};
  std::vector<float> hu = read_hu(name, shape);
  const auto& volume_path = volume_file(name);

  // 3. Mask, in the Sample frame by its own affine.
  const auto masks = inputs_.mask_files.find(name);
  if (masks == inputs_.mask_files.end())
    throw DataError(fmt::format("volume '{}': no mask {}.nii.gz under {}", name, name, inputs_.masks.string()));
  if (masks->second.size() != 1) {
    throw DataError(fmt::format("volume '{}': {} masks named {}.nii.gz under {} ({} and {})", name,
                                masks->second.size(), name, inputs_.masks.string(), masks->second[0].string(),
                                masks->second[1].string()));
  }
  const auto& mask_path = masks->second[0];
  const nifti::NiftiImage mask_image = nifti::NiftiImage::read(mask_path);
  const auto& h = mask_image.header();
  const nifti::IndexGeometry geometry = nifti::geometry_from_ras_affine(h.best_affine(), mask_path.string());
  const nifti::Reorientation r = nifti::canonical_reorientation(geometry, mask_path.string());
  const std::array<int64_t, 3> stored_shape = {h.dims[2], h.dims[1], h.dims[0]};
  const auto mask_shape = nifti::reoriented_shape(stored_shape, r);
  const auto mask_spacing = nifti::reoriented_spacing(geometry, r);
  if (mask_shape != shape) {
    throw DataError(fmt::format("{}: mask shape {}x{}x{} (D,H,W) differs from the volume's {}x{}x{} ({})",
                                mask_path.string(), mask_shape[0], mask_shape[1], mask_shape[2], shape[0], shape[1],
                                shape[2], volume_path.string()));
  }
  for (size_t a = 0; a < 3; ++a) {
    if (std::fabs(mask_spacing[a] - options_.source_spacing[a]) > kSpacingTolerance * options_.source_spacing[a]) {
      throw DataError(
          fmt::format("{}: mask spacing {:.3g}x{:.3g}x{:.3g} mm (z,y,x) differs from the volumes' "
                      "--source-spacing {}x{}x{}",
                      mask_path.string(), mask_spacing[0], mask_spacing[1], mask_spacing[2], options_.source_spacing[0],
                      options_.source_spacing[1], options_.source_spacing[2]));
    }
  }
  std::vector<uint8_t> anatomy = nifti::reorient(mapping_.merge(mask_image.as_labels()), stored_shape, r);

  // 4. Resample, crop.
  const auto target_shape = convert::resampled_shape(shape, options_.source_spacing, options_.spacing);
  hu = convert::resample_linear(hu, shape, options_.source_spacing, options_.spacing);
  anatomy = convert::resample_nearest(anatomy, shape, options_.source_spacing, options_.spacing);
  const convert::Box3 box = convert::anatomy_box(anatomy, target_shape, options_.margin);
  if (box.size()[0] == 0)
    throw DataError(
        fmt::format("{}: the mask holds none of the anatomies' classes (see the mapping file)", mask_path.string()));
  s.shape = box.size();
  s.spacing = options_.spacing;
  s.anatomy = convert::crop(anatomy, target_shape, box);
  const std::vector<float> cropped = convert::crop(hu, target_shape, box);
  s.volume.resize(cropped.size());
  for (size_t i = 0; i < cropped.size(); ++i) s.volume[i] = static_cast<int16_t>(std::lround(cropped[i]));

  // No report text in the release: every anatomy without sentences.
  const size_t A = mapping_.anatomies.size();
  s.conclusion.assign(A, {});
  s.description.assign(A, {});
  for (size_t a = 0; a < A; ++a) {
    s.normal.push_back(1);
    s.text_id.push_back(text_id(mapping_.anatomies[a], s.conclusion[a], s.description[a]));
  }
  return s;
}

RadChestCtVolumeConverter::NiftiVolume RadChestCtVolumeConverter::nifti_volume(const std::string& name) const {
  std::array<int64_t, 3> shape{};
  const std::vector<float> hu = read_hu(name, shape);
  NiftiVolume v;
  v.voxels.resize(hu.size());
  for (size_t i = 0; i < hu.size(); ++i) v.voxels[i] = static_cast<int16_t>(std::lround(hu[i]));
  v.spec.dims = {shape[2], shape[1], shape[0]};
  v.spec.type = nifti::VoxelType::i16;
  v.spec.affine = frame_affine(options_.source_spacing);
  v.spec.description = "cagcl: Rad-ChestCT " + name;
  return v;
}

void RadChestCtVolumeConverter::export_nifti(const std::string& name, const std::filesystem::path& out_dir) const {
  const NiftiVolume v = nifti_volume(name);
  std::filesystem::create_directories(out_dir);
  write_nifti(out_dir / (name + ".nii.gz"), v.spec, v.voxels.data());
}

}  // namespace cagcl::data::rad_chestct
