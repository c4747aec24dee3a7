// `cagcl convert rad-chestct` on the synthetic Rad-ChestCT-layout fixture: the phantoms come back (volumes,
// masks stored in either row order, labels merged from abnormality*location columns, splits), the dataset is
// marked as having no reports, and --export-nifti writes volumes that, segmented, line up with the .npz.
#include <gtest/gtest.h>

#include <algorithm>

#include "data/convert/anatomy_crop.hpp"
#include "data/dataset.hpp"
#include "data/nifti/nifti_image.hpp"
#include "data/nifti/orientation.hpp"
#include "data/schema.hpp"
#include "tests/common/temp_dir.hpp"
#include "tests/data/rad_chestct/rad_chestct_test_fixture.hpp"

namespace cagcl::data::rad_chestct::testing {
namespace {

// The radchest14 labels of a phantom, from its CT-RATE labels: same names, and Calcification = coronary or
// arterial wall calcification.
std::vector<uint8_t> radchest_labels(const Sample& phantom, const std::vector<std::string>& names) {
  const auto& ct = ct_rate_labels();
  const auto value = [&](const std::string& n) {
    return phantom.labels.at(static_cast<size_t>(std::find(ct.begin(), ct.end(), n) - ct.begin()));
  };
  std::vector<uint8_t> out;
  for (const auto& n : names) {
    out.push_back(n == "Calcification"
                      ? (value("Coronary artery wall calcification") || value("Arterial wall calcification"))
                      : value(n));
  }
  return out;
}

TEST(RadChestCtConversion, ConvertingTheFixtureAtItsOwnSpacingGivesBackThePhantomsAndTheirLabels) {
  test_support::TempDir dir;
  const Fixture f = make_fixture(dir / "raw");
  const auto report = convert_fixture(f, dir / "out");
  EXPECT_TRUE(report.skipped.empty());
  const Dataset ds = Dataset::open(dir / "out");
  ASSERT_EQ(ds.size(), static_cast<int64_t>(f.phantoms.size()));
  EXPECT_FALSE(ds.manifest().has_reports);
  const auto names = LabelMap::load(config_file("rad_chestct_labels.yaml")).names();
  EXPECT_EQ(ds.manifest().labels, names);
  ASSERT_EQ(names.size(), 14u);
  std::map<std::string, int> splits;
  int positives = 0;
  for (int64_t i = 0; i < ds.size(); ++i) {
    const Sample got = ds.read(i);
    SCOPED_TRACE(got.name);
    const Sample& phantom = f.phantoms.at(got.name);
    const auto box = convert::anatomy_box(phantom.anatomy, phantom.shape, {5, 20, 20});
    EXPECT_EQ(got.shape, box.size());
    EXPECT_EQ(got.spacing, phantom.spacing);
    EXPECT_TRUE(got.volume == convert::crop(phantom.volume, phantom.shape, box)) << "volume differs";
    EXPECT_TRUE(got.anatomy == convert::crop(phantom.anatomy, phantom.shape, box)) << "anatomy differs";
    EXPECT_EQ(got.labels, radchest_labels(phantom, names));
    for (uint8_t v : got.labels) positives += v;
    EXPECT_EQ(got.patient, got.name);
    EXPECT_EQ(got.normal, std::vector<uint8_t>(4, 1)) << "no report text: every anatomy without sentences";
    EXPECT_TRUE(got.findings.empty() && got.impression.empty());
    ++splits[got.split];
    EXPECT_EQ(got.split, got.name.rfind("trn", 0) == 0 ? "train" : got.name.rfind("val", 0) == 0 ? "valid" : "test");
  }
  EXPECT_GT(positives, 0) << "the fixture should hold positive labels";
  EXPECT_GT(splits["train"], 0);
  EXPECT_GT(splits["valid"] + splits["test"], 0);
}

TEST(RadChestCtConversion, ExportedNiftiHasTheVolumeAndAnAffineThatBringsItBackToTheSampleFrame) {
  test_support::TempDir dir;
  const Fixture f = make_fixture(dir / "raw", 2);
  const auto inputs = RadChestCtInputs::discover(f.volumes(), f.volumes(), "");
  const auto mapping = convert::AnatomyMapping::load(config_file("totalsegmentator_v2.yaml"));
  const auto labels = LabelMap::load(config_file("rad_chestct_labels.yaml"));
  const RadChestCtVolumeConverter converter(inputs, mapping, labels, options_at(f));
  for (const auto& [name, phantom] : f.phantoms) {
    SCOPED_TRACE(name);
    converter.export_nifti(name, dir / "nifti");
    const auto image = nifti::NiftiImage::read(dir / "nifti" / (name + ".nii.gz"));
    const auto& h = image.header();
    const auto g = nifti::geometry_from_ras_affine(h.best_affine(), name);
    const auto r = nifti::canonical_reorientation(g, name);
    const std::array<int64_t, 3> stored = {h.dims[2], h.dims[1], h.dims[0]};
    EXPECT_EQ(nifti::reoriented_shape(stored, r), phantom.shape);
    EXPECT_EQ(nifti::reoriented_spacing(g, r), phantom.spacing);
    const auto back = nifti::reorient(image.stored_as_float(), stored, r);
    ASSERT_EQ(back.size(), phantom.volume.size());
    for (size_t i = 0; i < back.size(); ++i) ASSERT_EQ(back[i], phantom.volume[i]) << "voxel " << i;
  }
}

}  // namespace
}  // namespace cagcl::data::rad_chestct::testing
