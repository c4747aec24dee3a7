#pragma once
// Writes samples (the synthetic phantoms) in Rad-ChestCT's layout, so that `cagcl convert rad-chestct` can be
// tested end to end without the real data (docs/converting.md, "Rad-ChestCT"):
//   OUT/volumes/<name>.npz                                    array 'ct': int16 HU [D,H,W] in the Sample frame
//   OUT/volumes/img{train,valid,test}_Abnormality_and_Location_Labels.csv   NoteAcc_DEID + abnormality*location
//   OUT/totalsegmentator/<name>.nii.gz                        TotalSegmentator v2 class ids (uint8)
// Names: train phantoms become trn00001, ...; valid phantoms alternate val... and tst.... Volumes with an even
// index are deflated (np.savez_compressed), odd ones stored (np.savez). Masks with an odd index are stored
// with their rows reversed (j from posterior to anterior, the affine says so), the others as --export-nifti
// writes them. A phantom's CT-RATE labels become Rad-ChestCT columns: each positive label sets one of its
// abnormality's location columns (rotating over them); coronary and arterial wall calcification become
// calcification*heart and calcification*aorta; two unrelated columns carry noise.
#include <filesystem>
#include <string>
#include <vector>

#include "data/sample.hpp"

namespace cagcl::data::rad_chestct {

class RadChestCtFixtureWriter {
 public:
  // Creates OUT; UsageError when OUT/volumes already exists.
  explicit RadChestCtFixtureWriter(std::filesystem::path out);
  // Returns the Rad-ChestCT name given to the sample. Samples carry CT-RATE's 18 labels.
  std::string add(const Sample& sample, int64_t index);
  // Writes the label CSVs (atomically).
  void finish();

  static std::filesystem::path volumes_dir(const std::filesystem::path& out) { return out / "volumes"; }
  static std::filesystem::path masks_dir(const std::filesystem::path& out) { return out / "totalsegmentator"; }

 private:
  struct Split {
    std::vector<std::vector<std::string>> rows;
  };
  std::filesystem::path out_;
  Split train_, valid_, test_;
  int64_t count_[3] = {0, 0, 0};
};

}  // namespace cagcl::data::rad_chestct
