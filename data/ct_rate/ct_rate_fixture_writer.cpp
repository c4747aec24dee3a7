#include "data/ct_rate/ct_rate_fixture_writer.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "data/convert/csv_table.hpp"
#include "data/ct_rate/ct_rate_names.hpp"
#include "data/nifti/nifti_image.hpp"
#include "data/schema.hpp"

namespace cagcl::data::ct_rate {
namespace {

std::string number_text(double v) { return fmt::format("{}", v); }

std::string python_list(const std::vector<double>& values) {
  std::string s = "[";
  for (size_t i = 0; i < values.size(); ++i) s += (i ? ", " : "") + number_text(values[i]);
  return s + "]";
}

}  // namespace

std::vector<uint8_t> totalsegmentator_classes(const Sample& s) {
  const int64_t D = s.shape[0], H = s.shape[1], W = s.shape[2];
  // Extent of each lung (side by W: larger w is the patient's left) and of the heart along D.
  int64_t lung_lo[2] = {D, D}, lung_hi[2] = {-1, -1}, heart_lo = D, heart_hi = -1;
  for (int64_t d = 0; d < D; ++d)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t w = 0; w < W; ++w) {
        const uint8_t a = s.anatomy[static_cast<size_t>((d * H + h) * W + w)];
        if (a == 1) {
          const int side = w >= W / 2 ? 1 : 0;
          lung_lo[side] = std::min(lung_lo[side], d);
          lung_hi[side] = std::max(lung_hi[side], d);
        } else if (a == 2) {
          heart_lo = std::min(heart_lo, d);
          heart_hi = std::max(heart_hi, d);
        }
      }
  std::vector<uint8_t> out(s.anatomy.size(), 0);
  for (int64_t d = 0; d < D; ++d)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t w = 0; w < W; ++w) {
        const size_t i = static_cast<size_t>((d * H + h) * W + w);
        switch (s.anatomy[i]) {
          case 1: {
            const int side = w >= W / 2 ? 1 : 0;
            const double t =
                static_cast<double>(d - lung_lo[side]) / static_cast<double>(lung_hi[side] - lung_lo[side] + 1);
            if (side == 1) {
              out[i] = t < 0.5 ? totalseg::kLungUpperLobeLeft : totalseg::kLungLowerLobeLeft;
            } else {
              out[i] = t < 0.4 ? totalseg::kLungUpperLobeRight
                               : (t < 0.6 ? totalseg::kLungMiddleLobeRight : totalseg::kLungLowerLobeRight);
            }
            break;
          }
          case 2:
            out[i] = d <= heart_lo + (heart_hi - heart_lo) / 10 ? totalseg::kAtrialAppendageLeft : totalseg::kHeart;
            break;
          case 3: out[i] = totalseg::kEsophagus; break;
          case 4: out[i] = totalseg::kAorta; break;
          default: out[i] = s.volume[i] >= 300 ? totalseg::kSternum : 0; break;
        }
      }
  return out;
}

CtRateFixtureWriter::CtRateFixtureWriter(std::filesystem::path out) : out_(std::move(out)) {
  if (std::filesystem::exists(dataset_dir(out_)))
    throw UsageError(dataset_dir(out_).string() + ": already exists; delete it first to write a new fixture");
  std::filesystem::create_directories(dataset_dir(out_));
}

void CtRateFixtureWriter::add(const Sample& s, int64_t index) {
  const auto parsed = parse_volume_name(s.name);
  if (!parsed) throw UsageError("CtRateFixtureWriter: '" + s.name + "' is not a CT-RATE volume name");
  const int64_t D = s.shape[0], H = s.shape[1], W = s.shape[2];
  const double dz = s.spacing[0], dy = s.spacing[1], dx = s.spacing[2];
  const bool unsigned_raw = index % 3 == 0;
  const double slope = index % 3 == 2 ? 0.5 : 1.0;
  const double intercept = -1024;
  const bool rows_posterior_to_anterior = index % 4 == 3;

  // Stored array [k][j][i]: i = W (to the patient's left); j = H (to posterior, or reversed); k runs along
  // the slice normal row x column: superior for the standard orientation (so k = D-1-d), inferior when j
  // is reversed (k = d).
  std::vector<uint16_t> raw_u(unsigned_raw ? s.volume.size() : 0);
  std::vector<int16_t> raw_s(unsigned_raw ? 0 : s.volume.size());
  const std::vector<uint8_t> classes = totalsegmentator_classes(s);
  std::vector<uint8_t> mask(classes.size());
  for (int64_t k = 0; k < D; ++k) {
    const int64_t d = rows_posterior_to_anterior ? k : D - 1 - k;
    for (int64_t j = 0; j < H; ++j) {
      const int64_t h = rows_posterior_to_anterior ? H - 1 - j : j;
      for (int64_t i = 0; i < W; ++i) {
        const size_t src = static_cast<size_t>((d * H + h) * W + i);
        const size_t dst = static_cast<size_t>((k * H + j) * W + i);
        const double raw = (s.volume[src] - intercept) / slope;
        if (unsigned_raw) {
          raw_u[dst] = static_cast<uint16_t>(raw);
        } else {
          raw_s[dst] = static_cast<int16_t>(raw);
        }
        mask[dst] = classes[src];
      }
    }
  }
  const double col_y = rows_posterior_to_anterior ? -1 : 1;
  const double slice_z = rows_posterior_to_anterior ? -1 : 1;
  // LPS position of voxel (0,0,0): the volume is centred on the isocentre.
  const double x0 = -(W - 1) / 2.0 * dx, y0 = -col_y * (H - 1) / 2.0 * dy, z0 = -slice_z * (D - 1) / 2.0 * dz;
  nifti::NiftiWriteSpec spec;
  spec.dims = {W, H, D};
  // RAS+ voxel-to-world (x and y of LPS change sign).
  spec.affine = nifti::identity4();
  spec.affine[0] = {-dx, 0, 0, -x0};
  spec.affine[1] = {0, -col_y * dy, 0, -y0};
  spec.affine[2] = {0, 0, slice_z * dz, z0};
  spec.description = "cagcl synth --format ct-rate";
  const std::filesystem::path rel =
      std::filesystem::path(parsed->split) / parsed->patient / parsed->scan / (s.name + kNiftiSuffix);
  const std::filesystem::path volume_path = dataset_dir(out_) / rel;
  std::filesystem::create_directories(volume_path.parent_path());
  spec.type = unsigned_raw ? nifti::VoxelType::u16 : nifti::VoxelType::i16;
  nifti::write_nifti(volume_path, spec, unsigned_raw ? static_cast<const void*>(raw_u.data()) : raw_s.data());
  const std::filesystem::path mask_path = masks_dir(out_) / rel;
  std::filesystem::create_directories(mask_path.parent_path());
  spec.type = nifti::VoxelType::u8;
  spec.description = "TotalSegmentator-style classes";
  nifti::write_nifti(mask_path, spec, mask.data());

  Split& split = parsed->split == "train" ? train_ : valid_;
  const std::string file = s.name + kNiftiSuffix;
  split.metadata.push_back({file, "SYNTHETIC", std::to_string(H), std::to_string(W), python_list({dx, dy}),
                            number_text(dz), number_text(intercept), number_text(slope), "HU",
                            python_list({x0, y0, z0}), python_list({1, 0, 0, 0, col_y, 0})});
  split.reports.push_back({file, "Not given.", "Non-contrast chest CT.", s.findings, s.impression});
  std::vector<std::string> labels = {file};
  for (uint8_t v : s.labels) labels.push_back(std::to_string(v));
  split.labels.push_back(std::move(labels));

  nlohmann::json per_anatomy = nlohmann::json::object();
  const auto& anatomies = default_anatomies();
  for (size_t a = 0; a < anatomies.size(); ++a) {
    per_anatomy[anatomies[a]] = {{"conclusion", s.conclusion[a]}, {"description", s.description[a]}};
  }
  sentences_[s.name] = per_anatomy;
}

void CtRateFixtureWriter::finish() {
  const std::filesystem::path root = dataset_dir(out_);
  const std::vector<std::string> metadata_header = {"VolumeName",
                                                    "Manufacturer",
                                                    "Rows",
                                                    "Columns",
                                                    "XYSpacing",
                                                    "ZSpacing",
                                                    "RescaleIntercept",
                                                    "RescaleSlope",
                                                    "RescaleType",
                                                    "ImagePositionPatient",
                                                    "ImageOrientationPatient"};
  const std::vector<std::string> report_header = {"VolumeName", "ClinicalInformation_EN", "Technique_EN", "Findings_EN",
                                                  "Impressions_EN"};
  std::vector<std::string> label_header = {"VolumeName"};
  for (const auto& l : ct_rate_labels()) label_header.push_back(l);
  for (const auto& dir : {"metadata", "radiology_text_reports", "multi_abnormality_labels"})
    std::filesystem::create_directories(root / dir);
  for (const bool train : {true, false}) {
    const Split& s = train ? train_ : valid_;
    if (s.metadata.empty()) continue;
    write_file_atomically(root / "metadata" / (train ? "train_metadata.csv" : "validation_metadata.csv"),
                          convert::csv_text(metadata_header, s.metadata));
    write_file_atomically(root / "radiology_text_reports" / (train ? "train_reports.csv" : "validation_reports.csv"),
                          convert::csv_text(report_header, s.reports));
    write_file_atomically(
        root / "multi_abnormality_labels" / (train ? "train_predicted_labels.csv" : "valid_predicted_labels.csv"),
        convert::csv_text(label_header, s.labels));
  }
  write_file_atomically(sentences_file(out_), sentences_.dump(1) + "\n");
}

}  // namespace cagcl::data::ct_rate
