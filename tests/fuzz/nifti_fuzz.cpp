// libFuzzer harness: a NIfTI volume and label map (data/nifti/nifti_image.hpp) brought into the sample frame
// (data/nifti/orientation.hpp), as the CT-RATE and Rad-ChestCT converters do.
#include <array>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "common/error.hpp"
#include "data/nifti/nifti_image.hpp"
#include "data/nifti/orientation.hpp"
#include "tests/fuzz/fuzz_input_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace nifti = cagcl::data::nifti;
  // The library decides gzip by the file name, so gzip magic gets a .nii.gz name.
  const bool gzip = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
  const cagcl::fuzz::InputFile input("nifti", gzip ? "input.nii.gz" : "input.nii", data, size);
  try {
    const nifti::NiftiImage image = nifti::NiftiImage::read(input.path());
    const nifti::NiftiHeader& h = image.header();
    const nifti::IndexGeometry g = nifti::geometry_from_ras_affine(h.best_affine(), "fuzz.nii");
    const nifti::Reorientation r = nifti::canonical_reorientation(g, "fuzz.nii");
    const std::array<int64_t, 3> stored = {h.dims[2], h.dims[1], h.dims[0]};
    nifti::reoriented_spacing(g, r);
    const auto shape = nifti::reoriented_shape(stored, r);
    const auto voxels = static_cast<size_t>(shape[0] * shape[1] * shape[2]);
    try {
      if (nifti::reorient(image.as_labels(), stored, r).size() != voxels) std::abort();
    } catch (const cagcl::Error&) {  // not a label map: the voxels as CT values below still count
    }
    if (nifti::reorient(image.stored_as_float(), stored, r).size() != voxels) std::abort();
  } catch (const cagcl::Error&) {
  }
  return 0;
}
