// `cagcl convert ct-rate` on the synthetic CT-RATE-layout fixture: the phantoms come back (volumes, masks,
// labels, texts), at the source spacing exactly and at another spacing within resampling tolerance; finished
// shards are verified and skipped on a rerun.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "common/error.hpp"
#include "data/convert/resample.hpp"
#include "data/dataset.hpp"
#include "tests/data/ct_rate/ct_rate_test_fixture.hpp"

namespace cagcl::data::ct_rate::testing {
namespace {

void expect_same_sample(const Sample& got, const Sample& want) {
  SCOPED_TRACE(want.name);
  EXPECT_EQ(got.name, want.name);
  EXPECT_EQ(got.patient, want.patient);
  EXPECT_EQ(got.split, want.split);
  EXPECT_EQ(got.shape, want.shape);
  EXPECT_EQ(got.spacing, want.spacing);
  EXPECT_TRUE(got.volume == want.volume) << "volume differs";
  EXPECT_TRUE(got.anatomy == want.anatomy) << "anatomy differs";
  EXPECT_EQ(got.labels, want.labels);
  EXPECT_EQ(got.findings, want.findings);
  EXPECT_EQ(got.impression, want.impression);
  EXPECT_EQ(got.conclusion, want.conclusion);
  EXPECT_EQ(got.description, want.description);
  EXPECT_EQ(got.normal, want.normal);
  EXPECT_EQ(got.text_id, want.text_id);
}

TEST(CtRateConversion, ConvertingTheFixtureAtItsOwnSpacingGivesBackThePhantoms) {
  TempDir dir("ctrate");
  const Fixture f = make_fixture(dir.path / "raw");
  const auto r = convert_fixture(f, dir.path / "out");
  EXPECT_TRUE(r.assembly.skipped.empty());
  const Dataset ds = Dataset::open(dir.path / "out");
  ASSERT_EQ(ds.size(), static_cast<int64_t>(f.samples.size()));
  EXPECT_EQ(ds.manifest().anatomies, default_anatomies());
  EXPECT_EQ(ds.manifest().labels, ct_rate_labels());
  bool any_valid = false;
  for (int64_t i = 0; i < ds.size(); ++i) {
    const Sample got = ds.read(i);
    any_valid = any_valid || got.split == "valid";
    expect_same_sample(got, expected_at_source_spacing(f.sample(got.name)));
  }
  EXPECT_TRUE(any_valid) << "the fixture should hold both splits";
  EXPECT_TRUE(std::filesystem::exists(dir.path / "out" / "vocab.txt"));
  EXPECT_FALSE(std::filesystem::exists(dir.path / "out" / ".parts"));
}

TEST(CtRateConversion, HeaderGeometryAndTheLexiconSplitterAlsoReproduceThePhantoms) {
  TempDir dir("ctrate");
  const Fixture f = make_fixture(dir.path / "raw");
  ConvertSettings s;
  s.lexicon = true;
  s.geometry = GeometrySource::header;
  convert_fixture(f, dir.path / "out", s);
  const Dataset ds = Dataset::open(dir.path / "out");
  ASSERT_EQ(ds.size(), static_cast<int64_t>(f.samples.size()));
  // The phantom reports' per-anatomy sentences are what the lexicon rules find in their Findings/Impression.
  for (int64_t i = 0; i < ds.size(); ++i) {
    const Sample got = ds.read(i);
    expect_same_sample(got, expected_at_source_spacing(f.sample(got.name)));
  }
}

// Trilinear value of `v` (shape `n`) at fractional index x, each coordinate clamped to the last voxel:
// written out directly, independent of the separable resampler.
double trilinear(const std::vector<int16_t>& v, const std::array<int64_t, 3>& n, std::array<double, 3> x) {
  std::array<int64_t, 3> lo{}, hi{};
  std::array<double, 3> t{};
  for (int a = 0; a < 3; ++a) {
    x[a] = std::min(x[a], static_cast<double>(n[a] - 1));
    lo[a] = static_cast<int64_t>(std::floor(x[a]));
    hi[a] = std::min(lo[a] + 1, n[a] - 1);
    t[a] = x[a] - static_cast<double>(lo[a]);
  }
  double sum = 0;
  for (int corner = 0; corner < 8; ++corner) {
    double w = 1;
    std::array<int64_t, 3> i{};
    for (int a = 0; a < 3; ++a) {
      const bool up = (corner >> a) & 1;
      i[a] = up ? hi[a] : lo[a];
      w *= up ? t[a] : 1 - t[a];
    }
    sum += w * v[static_cast<size_t>((i[0] * n[1] + i[1]) * n[2] + i[2])];
  }
  return sum;
}

TEST(CtRateConversion, ResamplingToAnotherSpacingMatchesTrilinearAndNearestReferences) {
  TempDir dir("ctrate");
  const Fixture f = make_fixture(dir.path / "raw", 4);
  ConvertSettings s;
  s.spacing = {4, 6, 9};  // finer slices, finer and coarser in-plane
  convert_fixture(f, dir.path / "out", s);
  const Dataset ds = Dataset::open(dir.path / "out");
  ASSERT_EQ(ds.size(), 4);
  for (int64_t i = 0; i < ds.size(); ++i) {
    const Sample got = ds.read(i);
    const Sample& want = f.sample(got.name);
    SCOPED_TRACE(got.name);
    EXPECT_EQ(got.spacing, s.spacing);
    // Mask: nearest neighbour of the phantom's, cropped to its anatomies' box + margin.
    const auto full_shape = convert::resampled_shape(want.shape, want.spacing, s.spacing);
    const auto full_mask = convert::resample_nearest(want.anatomy, want.shape, want.spacing, s.spacing);
    const auto box = convert::anatomy_box(full_mask, full_shape, {5, 20, 20});
    ASSERT_EQ(got.shape, box.size());
    EXPECT_TRUE(got.anatomy == convert::crop(full_mask, full_shape, box));
    // Volume: every voxel is the trilinear value of the phantom at that voxel's position, to rounding.
    double worst = 0;
    for (int64_t d = 0; d < got.shape[0]; ++d)
      for (int64_t h = 0; h < got.shape[1]; ++h)
        for (int64_t w = 0; w < got.shape[2]; ++w) {
          const std::array<int64_t, 3> o = {box.begin[0] + d, box.begin[1] + h, box.begin[2] + w};
          std::array<double, 3> x{};
          for (int a = 0; a < 3; ++a) x[a] = static_cast<double>(o[a]) * s.spacing[a] / want.spacing[a];
          const double ref = trilinear(want.volume, want.shape, x);
          const double diff =
              std::fabs(got.volume[static_cast<size_t>((d * got.shape[1] + h) * got.shape[2] + w)] - ref);
          worst = std::max(worst, diff);
        }
    EXPECT_LE(worst, 0.51);
    // Organ volumes survive nearest-neighbour resampling to within a few percent (lungs) / a voxel layer.
    for (uint8_t a = 1; a <= 4; ++a) {
      double got_ml = 0, want_ml = 0;
      for (uint8_t v : got.anatomy) got_ml += v == a;
      for (uint8_t v : want.anatomy) want_ml += v == a;
      ASSERT_GT(got_ml, 0) << "anatomy " << int(a) << " lost";
      got_ml *= s.spacing[0] * s.spacing[1] * s.spacing[2];
      want_ml *= want.spacing[0] * want.spacing[1] * want.spacing[2];
      EXPECT_NEAR(got_ml / want_ml, 1.0, a == 1 ? 0.1 : 0.5) << "anatomy " << int(a);
    }
  }
}

TEST(CtRateConversion, RerunSkipsVerifiedPartsAndRedoesDamagedOnes) {
  TempDir dir("ctrate");
  const Fixture f = make_fixture(dir.path / "raw", 5);
  ConvertSettings s;
  s.world = 2;  // rank 0 of 2: parts 0 and 2 of 3
  const auto first = convert_fixture(f, dir.path / "out", s);
  EXPECT_EQ(first.parts.parts_mine, 2);
  EXPECT_EQ(first.parts.parts_reused, 0);
  EXPECT_EQ(first.parts.converted, 3);
  const auto part0 = dir.path / "out" / ".parts" / "part-00000.h5";
  const auto written = std::filesystem::last_write_time(part0);
  const auto second = convert_fixture(f, dir.path / "out", s);
  EXPECT_EQ(second.parts.parts_reused, 2);
  EXPECT_EQ(second.parts.converted, 0);
  EXPECT_EQ(std::filesystem::last_write_time(part0), written);
  // A damaged part file fails its checksum and is converted again.
  {
    std::fstream io(part0, std::ios::in | std::ios::out | std::ios::binary);
    io.seekp(static_cast<std::streamoff>(std::filesystem::file_size(part0) / 2));
    io.put('\x42');
  }
  const auto third = convert_fixture(f, dir.path / "out", s);
  EXPECT_EQ(third.parts.parts_reused, 1);
  EXPECT_EQ(third.parts.converted, 2);
  // Other options (fingerprint) redo everything.
  const auto other = convert_fixture(f, dir.path / "out", s, "other-options");
  EXPECT_EQ(other.parts.parts_reused, 0);
  // Rank 1's share, then the assembly by "rank 0" of a world of 1 sees all parts finished.
  s.rank = 1;
  convert_fixture(f, dir.path / "out", s, "other-options");
  ConvertSettings all;
  const auto assembled = convert_fixture(f, dir.path / "out", all, "other-options");
  EXPECT_EQ(assembled.parts.parts_reused, 3);
  EXPECT_EQ(assembled.assembly.manifest.num_samples(), 5);
  EXPECT_EQ(Dataset::open(dir.path / "out").size(), 5);
}

TEST(CtRateConversion, CompleteDatasetIsLeftAloneAndOtherOptionsAreRefused) {
  TempDir dir("ctrate");
  const Fixture f = make_fixture(dir.path / "raw", 2);
  convert_fixture(f, dir.path / "out");
  EXPECT_TRUE(convert::dataset_is_complete(dir.path / "out", "test"));
  const auto again = convert_fixture(f, dir.path / "out");
  EXPECT_EQ(again.parts.parts_mine, 0);
  EXPECT_EQ(again.parts.converted, 0);
  EXPECT_TRUE(again.assembly.already_complete);
  EXPECT_FALSE(std::filesystem::exists(dir.path / "out" / ".parts"));
  EXPECT_THROW(convert::dataset_is_complete(dir.path / "out", "other"), UsageError);
}

}  // namespace
}  // namespace cagcl::data::ct_rate::testing
