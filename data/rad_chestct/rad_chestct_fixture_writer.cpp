#include "data/rad_chestct/rad_chestct_fixture_writer.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "data/convert/csv_table.hpp"
#include "data/ct_rate/ct_rate_fixture_writer.hpp"
#include "data/nifti/nifti_image.hpp"
#include "data/npz/npz_archive.hpp"
#include "data/rad_chestct/rad_chestct_inputs.hpp"
#include "data/rad_chestct/rad_chestct_volume_converter.hpp"
#include "data/schema.hpp"

namespace cagcl::data::rad_chestct {
namespace {

// CT-RATE label -> the Rad-ChestCT columns a positive one may set (one per sample, rotating).
struct ColumnGroup {
  const char* ct_rate_label;
  std::vector<std::string> columns;
};

const std::vector<ColumnGroup>& column_groups() {
  static const std::vector<ColumnGroup> groups = {
      {"Emphysema", {"emphysema*left_lung", "emphysema*right_lung"}},
      {"Atelectasis", {"atelectasis*left_lung", "atelectasis*right_lung"}},
      {"Lung nodule", {"nodule*left_lung", "nodule*right_lung", "nodulegr1cm*right_lung"}},
      {"Lung opacity", {"opacity*left_lung", "opacity*right_lung"}},
      {"Pulmonary fibrotic sequela", {"fibrosis*left_lung", "fibrosis*right_lung"}},
      {"Pleural effusion", {"pleural_effusion*left_lung", "pleural_effusion*right_lung"}},
      {"Peribronchial thickening", {"bronchial_wall_thickening*airways"}},
      {"Consolidation", {"consolidation*left_lung", "consolidation*right_lung"}},
      {"Bronchiectasis", {"bronchiectasis*left_lung", "bronchiectasis*right_lung"}},
      {"Interlobular septal thickening", {"septal_thickening*left_lung", "septal_thickening*right_lung"}},
      {"Cardiomegaly", {"cardiomegaly*heart"}},
      {"Pericardial effusion", {"pericardial_effusion*heart"}},
      {"Hiatal hernia", {"hernia*esophagus"}},
      {"Coronary artery wall calcification", {"calcification*heart"}},
      {"Arterial wall calcification", {"calcification*aorta"}},
  };
  return groups;
}

const std::vector<std::string> kNoiseColumns = {"pacemaker_or_defib*heart", "mass*liver"};

std::vector<std::string> header() {
  std::vector<std::string> h = {kNoteColumn};
  for (const auto& g : column_groups()) h.insert(h.end(), g.columns.begin(), g.columns.end());
  h.insert(h.end(), kNoiseColumns.begin(), kNoiseColumns.end());
  return h;
}

}  // namespace

RadChestCtFixtureWriter::RadChestCtFixtureWriter(std::filesystem::path out) : out_(std::move(out)) {
  if (std::filesystem::exists(volumes_dir(out_)))
    throw UsageError(volumes_dir(out_).string() + ": already exists; delete it first to write a new fixture");
  std::filesystem::create_directories(volumes_dir(out_));
  std::filesystem::create_directories(masks_dir(out_));
}

std::string RadChestCtFixtureWriter::add(const Sample& s, int64_t index) {
  if (s.labels.size() != ct_rate_labels().size())
    throw UsageError("RadChestCtFixtureWriter: sample '" + s.name + "' does not carry CT-RATE's 18 labels");
  // Split: train, or valid and test in turn.
  int split = 0;
  // A phantom test patient stays in test; without a test split the valid patients alternate between
  // Rad-ChestCT's valid and test files, so that both exist.
  if (s.split == "test")
    split = 2;
  else if (s.split != "train")
    split = (count_[1] + count_[2]) % 2 == 0 ? 1 : 2;
  static const char* const kPrefix[] = {"trn", "val", "tst"};
  const std::string name = fmt::format("{}{:05d}", kPrefix[split], ++count_[split]);

  const int64_t D = s.shape[0], H = s.shape[1], W = s.shape[2];
  npz::write_npz(volumes_dir(out_) / (name + kVolumeSuffix),
                 {{kVolumeArray, npz::npy_bytes(npz::NpyType::i16, {D, H, W}, s.volume.data())}}, index % 2 == 0);

  const std::vector<uint8_t> classes = ct_rate::totalsegmentator_classes(s);
  nifti::NiftiWriteSpec spec;
  spec.dims = {W, H, D};
  spec.type = nifti::VoxelType::u8;
  spec.affine = frame_affine(s.spacing);
  spec.description = "TotalSegmentator-style classes";
  std::vector<uint8_t> stored = classes;
  if (index % 2 == 1) {
    // j from posterior to anterior: voxel j of the file is row H-1-j of the Sample; world y grows with j.
    for (int64_t d = 0; d < D; ++d)
      for (int64_t j = 0; j < H; ++j)
        std::copy_n(classes.begin() + (d * H + (H - 1 - j)) * W, W, stored.begin() + (d * H + j) * W);
    spec.affine[1][1] = s.spacing[1];
    spec.affine[1][3] = -static_cast<double>(H - 1) * s.spacing[1];
  }
  nifti::write_nifti(masks_dir(out_) / (name + ".nii.gz"), spec, stored.data());

  const auto& names = ct_rate_labels();
  std::vector<std::string> row = {name};
  for (const auto& g : column_groups()) {
    const size_t label = static_cast<size_t>(std::find(names.begin(), names.end(), g.ct_rate_label) - names.begin());
    const size_t pick = static_cast<size_t>(index) % g.columns.size();
    for (size_t c = 0; c < g.columns.size(); ++c) row.push_back(s.labels.at(label) && c == pick ? "1" : "0");
  }
  row.push_back(index % 3 == 0 ? "1" : "0");
  row.push_back(index % 5 == 1 ? "1" : "0");
  (split == 0 ? train_ : split == 1 ? valid_ : test_).rows.push_back(std::move(row));
  return name;
}

void RadChestCtFixtureWriter::finish() {
  static const char* const kFile[] = {"imgtrain", "imgvalid", "imgtest"};
  const Split* splits[] = {&train_, &valid_, &test_};
  for (int i = 0; i < 3; ++i) {
    if (splits[i]->rows.empty()) continue;
    write_file_atomically(volumes_dir(out_) / (std::string(kFile[i]) + kLabelFileSuffix),
                          convert::csv_text(header(), splits[i]->rows));
  }
}

}  // namespace cagcl::data::rad_chestct
