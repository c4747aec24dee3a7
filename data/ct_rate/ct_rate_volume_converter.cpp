#include "data/ct_rate/ct_rate_volume_converter.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "common/error.hpp"
#include "data/convert/anatomy_crop.hpp"
#include "data/convert/number_cells.hpp"
#include "data/convert/resample.hpp"
#include "data/ct_rate/ct_rate_names.hpp"
#include "data/nifti/nifti_image.hpp"
#include "data/nifti/orientation.hpp"
#include "data/schema.hpp"
#include "data/text_id.hpp"

namespace cagcl::data::ct_rate {

using convert::parse_number;
using convert::parse_number_list;

CtRateVolumeConverter::CtRateVolumeConverter(const CtRateInputs& inputs, const convert::AnatomyMapping& mapping,
                                             SentenceSource sentences, VolumeConvertOptions options)
    : inputs_(inputs), mapping_(mapping), sentences_(sentences), options_(options) {
  if ((sentences_.supplied == nullptr) == (sentences_.lexicon == nullptr))
    throw UsageError("CtRateVolumeConverter: give exactly one sentence source");
}

Sample CtRateVolumeConverter::convert(const std::string& name) const {
  const auto parsed = parse_volume_name(name);
  if (!parsed)
    throw DataError(fmt::format("volume '{}': not a CT-RATE volume name (<split>_<patient>_<scan>_<n>)", name));
  auto files = inputs_.volumes.find(name);
  if (files == inputs_.volumes.end()) throw DataError(fmt::format("volume '{}': no file", name));
  if (files->second.size() != 1) {
    throw DataError(fmt::format("volume '{}': {} files ({} and {})", name, files->second.size(),
                                files->second[0].string(), files->second[1].string()));
  }
  const std::filesystem::path& volume_path = files->second[0];
  auto mask_it = inputs_.mask_files.find(name);
  if (mask_it == inputs_.mask_files.end())
    throw DataError(
        fmt::format("volume '{}': no mask {}{} under {}", name, name, kNiftiSuffix, inputs_.masks.string()));
  if (mask_it->second.empty())
    throw DataError(fmt::format("volume '{}': more than one mask named {}{} under {}", name, name, kNiftiSuffix,
                                inputs_.masks.string()));

  // 1. Metadata.
  const convert::CsvIndex::Row meta = inputs_.metadata.row_of(name, "metadata");
  const std::string meta_where = fmt::format("{} line {}", meta.table->origin(), meta.table->line_of(meta.row));
  const double slope = parse_number(convert::cell_of(meta, "RescaleSlope", name), meta_where + ": RescaleSlope");
  const double intercept =
      parse_number(convert::cell_of(meta, "RescaleIntercept", name), meta_where + ": RescaleIntercept");
  if (slope == 0 || std::fabs(slope) > 100 || std::fabs(intercept) > 1e5)
    throw DataError(fmt::format("{}: implausible RescaleSlope {} / RescaleIntercept {}", meta_where, slope, intercept));
  const auto xy = parse_number_list(convert::cell_of(meta, "XYSpacing", name), 2, meta_where + ": XYSpacing");
  const double z = parse_number(convert::cell_of(meta, "ZSpacing", name), meta_where + ": ZSpacing");
  for (double s : xy) {
    if (s < kMinSpacingMm || s > kMaxXySpacingMm)
      throw DataError(
          fmt::format("{}: XYSpacing {} mm is outside [{}, {}]", meta_where, s, kMinSpacingMm, kMaxXySpacingMm));
  }
  if (z < kMinSpacingMm || z > kMaxZSpacingMm)
    throw DataError(
        fmt::format("{}: ZSpacing {} mm is outside [{}, {}]", meta_where, z, kMinSpacingMm, kMaxZSpacingMm));

  // 2. Voxels and geometry.
  const nifti::NiftiImage image = nifti::NiftiImage::read(volume_path);
  const nifti::NiftiImage mask_image = nifti::NiftiImage::read(mask_it->second);
  const auto& h = image.header();
  if (mask_image.header().dims != h.dims) {
    throw DataError(fmt::format("{}: mask shape {}x{}x{} differs from the volume's {}x{}x{} ({})",
                                mask_it->second.string(), mask_image.header().dims[0], mask_image.header().dims[1],
                                mask_image.header().dims[2], h.dims[0], h.dims[1], h.dims[2], volume_path.string()));
  }
  for (const auto& [column, index] : {std::pair<const char*, int>{"Rows", 1}, {"Columns", 0}}) {
    if (!meta.table->column(column)) continue;
    const double v = parse_number(convert::cell_of(meta, column, name), meta_where + ": " + column);
    if (v != static_cast<double>(h.dims[static_cast<size_t>(index)])) {
      throw DataError(fmt::format("{}: {} = {} does not match {} (dim {} = {})", meta_where, column, v,
                                  volume_path.string(), index + 1, h.dims[static_cast<size_t>(index)]));
    }
  }
  nifti::IndexGeometry geometry;
  if (options_.geometry == GeometrySource::metadata) {
    const auto o = parse_number_list(convert::cell_of(meta, "ImageOrientationPatient", name), 6,
                                     meta_where + ": ImageOrientationPatient");
    geometry = nifti::geometry_from_dicom({o[0], o[1], o[2], o[3], o[4], o[5]}, xy[0], xy[1], z, meta_where);
  } else {
    geometry = nifti::geometry_from_ras_affine(h.best_affine(), volume_path.string());
    for (double s : geometry.spacing) {
      if (!(s >= kMinSpacingMm && s <= kMaxZSpacingMm))
        throw DataError(fmt::format("{}: header spacing {} mm is implausible", volume_path.string(), s));
    }
  }
  const nifti::Reorientation r = nifti::canonical_reorientation(geometry, volume_path.string());
  const std::array<int64_t, 3> stored_shape = {h.dims[2], h.dims[1], h.dims[0]};
  std::vector<float> hu = image.stored_as_float();
  for (float& v : hu) v = static_cast<float>(v * slope + intercept);
  hu = nifti::reorient(hu, stored_shape, r);
  std::vector<uint8_t> anatomy = nifti::reorient(mapping_.merge(mask_image.as_labels()), stored_shape, r);
  const auto shape = nifti::reoriented_shape(stored_shape, r);
  const auto spacing = nifti::reoriented_spacing(geometry, r);

  // 3-4. Resample, crop.
  const auto target_shape = convert::resampled_shape(shape, spacing, options_.spacing);
  hu = convert::resample_linear(hu, shape, spacing, options_.spacing);
  anatomy = convert::resample_nearest(anatomy, shape, spacing, options_.spacing);
  const convert::Box3 box = convert::anatomy_box(anatomy, target_shape, options_.margin);
  if (box.size()[0] == 0) {
    throw DataError(fmt::format("{}: the mask holds none of the anatomies' classes (see the mapping file)",
                                mask_it->second.string()));
  }
  Sample s;
  s.name = name;
  s.patient = parsed->patient;
  s.split = parsed->split;
  s.shape = box.size();
  s.spacing = options_.spacing;
  s.anatomy = convert::crop(anatomy, target_shape, box);
  const std::vector<float> cropped = convert::crop(hu, target_shape, box);
  s.volume.resize(cropped.size());
  for (size_t i = 0; i < cropped.size(); ++i)
    s.volume[i] = static_cast<int16_t>(std::lround(std::clamp(cropped[i], -32768.0f, 32767.0f)));

  // 5. Text and labels.
  const convert::CsvIndex::Row report = inputs_.reports.row_of(name, "report");
  s.findings = convert::cell_of(report, "Findings_EN", name);
  s.impression = convert::cell_of(report, "Impressions_EN", name);
  const auto& anatomies = mapping_.anatomies;
  const convert::AnatomyLexicon::Split split =
      sentences_.supplied ? sentences_.supplied->sentences_of(name, anatomies)
                          : sentences_.lexicon->split_report(s.findings, s.impression, anatomies);
  s.conclusion = split.conclusion;
  s.description = split.description;
  for (size_t a = 0; a < anatomies.size(); ++a) {
    s.normal.push_back(s.conclusion[a].empty() && s.description[a].empty() ? 1 : 0);
    s.text_id.push_back(text_id(anatomies[a], s.conclusion[a], s.description[a]));
  }
  const convert::CsvIndex::Row labels = inputs_.labels.row_of(name, "labels");
  const auto& names = ct_rate_labels();
  for (const auto& column : labels.table->columns()) {
    if (column == kVolumeNameColumn) continue;
    if (std::find(names.begin(), names.end(), column) == names.end()) {
      throw DataError(fmt::format("{}: unknown label column '{}' (expected CT-RATE's 18 label names)",
                                  labels.table->origin(), column));
    }
  }
  const std::string label_where = fmt::format("{} line {}", labels.table->origin(), labels.table->line_of(labels.row));
  for (const auto& label : names) {
    const double v = parse_number(convert::cell_of(labels, label, name), label_where + ": " + label);
    if (v != 0 && v != 1) throw DataError(fmt::format("{}: {} = {}, expected 0 or 1", label_where, label, v));
    s.labels.push_back(static_cast<uint8_t>(v));
  }
  return s;
}

}  // namespace cagcl::data::ct_rate
