#pragma once
// Writes samples (the synthetic phantoms) in CT-RATE's raw layout, so that `cagcl convert ct-rate` can be
// tested end to end without the real data (docs/converting.md, "The fixture"):
//   OUT/dataset/{train,valid}/<patient>/<scan>/<name>.nii.gz   raw volumes, scanner-style slope/intercept
//   OUT/dataset/metadata/{train,validation}_metadata.csv       VolumeName, XYSpacing, ZSpacing, Rescale*, ...
//   OUT/dataset/radiology_text_reports/{train,validation}_reports.csv   Findings_EN, Impressions_EN, ...
//   OUT/dataset/multi_abnormality_labels/{train,valid}_predicted_labels.csv   CT-RATE's 18 label columns
//   OUT/totalsegmentator/<split>/<patient>/<scan>/<name>.nii.gz   TotalSegmentator v2 class-id label maps
//   OUT/anatomy_sentences.json                                  per-anatomy sentences (fVLM-style layout)
// Sample k's volume is stored as uint16 (k % 3 == 0) or int16, with RescaleIntercept -1024 and
// RescaleSlope 1, or 0.5 when k % 3 == 2; samples with k % 4 == 3 are stored with the rows running from
// posterior to anterior (ImageOrientationPatient [1,0,0,0,-1,0]), the others [1,0,0,0,1,0].
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/sample.hpp"

namespace cagcl::data::ct_rate {

// TotalSegmentator v2 class ids the fixture paints (the `total` task's numbering).
namespace totalseg {
inline constexpr uint8_t kLungUpperLobeLeft = 10, kLungLowerLobeLeft = 11, kLungUpperLobeRight = 12,
                         kLungMiddleLobeRight = 13, kLungLowerLobeRight = 14, kEsophagus = 15, kHeart = 51, kAorta = 52,
                         kAtrialAppendageLeft = 61, kSternum = 116;
}

class CtRateFixtureWriter {
 public:
  // Creates OUT; UsageError when OUT/dataset already exists.
  explicit CtRateFixtureWriter(std::filesystem::path out);
  // `index` picks the storage variant (see above). Samples use the default anatomy list and the 18 CT-RATE
  // labels.
  void add(const Sample& sample, int64_t index);
  // Writes the CSVs and the JSON (atomically).
  void finish();

  static std::filesystem::path dataset_dir(const std::filesystem::path& out) { return out / "dataset"; }
  static std::filesystem::path masks_dir(const std::filesystem::path& out) { return out / "totalsegmentator"; }
  static std::filesystem::path sentences_file(const std::filesystem::path& out) {
    return out / "anatomy_sentences.json";
  }

 private:
  struct Split {
    std::vector<std::vector<std::string>> metadata, reports, labels;
  };
  std::filesystem::path out_;
  Split train_, valid_;
  nlohmann::json sentences_ = nlohmann::json::object();
};

// TotalSegmentator-style class map of a phantom's anatomy map (lobes by side and height, heart with a left
// atrial appendage cap, bone voxels outside the anatomies as the sternum class).
std::vector<uint8_t> totalsegmentator_classes(const Sample& sample);

}  // namespace cagcl::data::ct_rate
