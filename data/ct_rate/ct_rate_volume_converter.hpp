#pragma once
// One CT-RATE volume -> one Sample (docs/converting.md, "What conversion does"):
//   1. metadata row: RescaleSlope/Intercept, XYSpacing, ZSpacing, ImageOrientationPatient (checked: finite,
//      plausible spacing, non-zero slope); HU = stored value * slope + intercept, as fVLM's preprocessing;
//   2. geometry from the metadata (CT-RATE's NIfTI headers are not trusted, as in CT-RATE's own fix) or, on
//      request, from the NIfTI sform/qform; the volume and its mask are turned into the D,H,W frame;
//   3. TotalSegmentator classes merged into the anatomies (AnatomyMapping);
//   4. resampled to the target spacing (trilinear / nearest) and cropped to the anatomies' box + margin;
//   5. report sentences per anatomy from supplied JSON or the lexicon splitter; the 18 labels.
// Every problem is a DataError (or IoError) naming the volume and the file.
#include <array>
#include <string>

#include "data/convert/anatomy_lexicon.hpp"
#include "data/convert/anatomy_mapping.hpp"
#include "data/convert/supplied_anatomy_sentences.hpp"
#include "data/ct_rate/ct_rate_inputs.hpp"
#include "data/sample.hpp"

namespace cagcl::data::ct_rate {

enum class GeometrySource { metadata, header };

struct VolumeConvertOptions {
  std::array<double, 3> spacing{3, 1, 1};    // target z, y, x (mm); fVLM: 1 x 1 x 3 mm (x, y, z)
  std::array<int64_t, 3> margin{5, 20, 20};  // D, H, W voxels around the anatomies' box
  GeometrySource geometry = GeometrySource::metadata;
};

// Exactly one of the two is set.
struct SentenceSource {
  const convert::SuppliedAnatomySentences* supplied = nullptr;
  const convert::AnatomyLexicon* lexicon = nullptr;
};

// Limits beyond which a spacing or rescale value is taken as corrupt metadata.
inline constexpr double kMinSpacingMm = 0.05, kMaxXySpacingMm = 10, kMaxZSpacingMm = 20;

class CtRateVolumeConverter {
 public:
  CtRateVolumeConverter(const CtRateInputs& inputs, const convert::AnatomyMapping& mapping, SentenceSource sentences,
                        VolumeConvertOptions options);
  Sample convert(const std::string& name) const;

 private:
  const CtRateInputs& inputs_;
  const convert::AnatomyMapping& mapping_;
  SentenceSource sentences_;
  VolumeConvertOptions options_;
};

}  // namespace cagcl::data::ct_rate
