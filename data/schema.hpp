#pragma once
// Names fixed by the data the project trains on: the default anatomy list (fVLM's CT-RATE release) and
// CT-RATE's 18 abnormality labels, in CT-RATE's CSV order and spelling.
#include <string>
#include <vector>

namespace cagcl::data {

// Version of the on-disk dataset layout (docs/dataset-format.md). Bump on any incompatible change.
// 2: strings are fixed-length (1 stored them variable-length, in the global heap libhdf5 reads unchecked).
inline constexpr int kSchemaVersion = 2;

inline const std::vector<std::string>& default_anatomies() {
  static const std::vector<std::string> names = {"lung", "heart", "esophagus", "aorta"};
  return names;
}

inline const std::vector<std::string>& ct_rate_labels() {
  static const std::vector<std::string> names = {
      "Medical material",
      "Arterial wall calcification",
      "Cardiomegaly",
      "Pericardial effusion",
      "Coronary artery wall calcification",
      "Hiatal hernia",
      "Lymphadenopathy",
      "Emphysema",
      "Atelectasis",
      "Lung nodule",
      "Lung opacity",
      "Pulmonary fibrotic sequela",
      "Pleural effusion",
      "Mosaic attenuation pattern",
      "Peribronchial thickening",
      "Consolidation",
      "Bronchiectasis",
      "Interlobular septal thickening",
  };
  return names;
}

// The normal template of METHOD.md: the text of an anatomy that has no sentence.
inline std::string normal_template(const std::string& anatomy) {
  return anatomy + " shows no significant abnormalities.";
}

}  // namespace cagcl::data
