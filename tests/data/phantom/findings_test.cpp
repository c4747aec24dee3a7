// Every CT-RATE finding is visible in the rendered (noisy) volume when its label is positive and absent when
// it is negative: the same patient is rendered with only that finding and with none, and a measurement a
// reader could make must separate the two. A few findings are also checked for specificity: absent even when
// all other 17 findings are drawn.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>

#include "data/phantom/finding_ids.hpp"
#include "tests/data/phantom/phantom_test_util.hpp"

namespace cagcl::data::phantom::testing {
namespace {

struct Criterion {
  std::function<double(const Scan&)> measure;
  double positive_above;  // positive renders measure more than this
  double negative_below;  // negative renders measure less than this
};

// Patients of the small test cohort used for each finding (different body sizes and seeds).
constexpr int64_t kPatients[] = {0, 3, 6};

void expect_visible_exactly_when_positive(int finding, const Criterion& c) {
  const PhantomOptions options = small_options();
  for (int64_t index : kPatients) {
    const double with = c.measure(render_scan(plan_with(options, index, {finding}), options));
    const double without = c.measure(render_scan(plan_with(options, index, {}), options));
    EXPECT_GT(with, c.positive_above) << labels()[static_cast<size_t>(finding)] << ", plan " << index;
    EXPECT_LT(without, c.negative_below) << labels()[static_cast<size_t>(finding)] << ", plan " << index;
  }
}

void expect_absent_among_all_other_findings(int finding, const Criterion& c) {
  const PhantomOptions options = small_options();
  std::vector<int> others;
  for (int f = 0; f < kNumFindings; ++f)
    if (f != finding) others.push_back(f);
  for (int64_t index : kPatients) {
    EXPECT_LT(c.measure(render_scan(plan_with(options, index, others), options)), c.negative_below)
        << labels()[static_cast<size_t>(finding)] << ", plan " << index;
  }
}

double lung_fraction(const Scan& s, int lo, int hi) { return s.fraction_of(kLung, lo, hi); }

// ---- whole-report findings ---------------------------------------------------------------------------

const Criterion kMetal{
    [](const Scan& s) {
      return static_cast<double>(s.count([](uint8_t, int hu, double, double, double) { return hu > 2000; }));
    },
    0.5, 0.5};

TEST(PhantomFindings, MedicalMaterialIsMetalAbove2000Hu) {
  expect_visible_exactly_when_positive(kMedicalMaterial, kMetal);
  expect_absent_among_all_other_findings(kMedicalMaterial, kMetal);
}

// Soft-tissue voxels outside every organ mask in the central mediastinum (behind the sternum and the chest
// wall muscles beside it), where normal content is fat.
const Criterion kMediastinalNodes{
    [](const Scan& s) {
      return s.voxel_ml() * static_cast<double>(s.count([](uint8_t l, int hu, double z, double y, double x) {
               return l == kBackground && hu > 0 && hu < 150 && std::abs(x) < 30 && y > -65 && y < 25 && z > -100 &&
                      z < 0;
             }));
    },
    1.0, 0.1};

TEST(PhantomFindings, LymphadenopathyIsSoftTissueInMediastinalFat) {
  expect_visible_exactly_when_positive(kLymphadenopathy, kMediastinalNodes);
  expect_absent_among_all_other_findings(kLymphadenopathy, kMediastinalNodes);
}

// ---- heart, aorta, esophagus ---------------------------------------------------------------------------

const Criterion kAorticCalcium{[](const Scan& s) { return static_cast<double>(s.count_in(kAorta, 300, 2000)); }, 0.5,
                               0.5};

TEST(PhantomFindings, ArterialWallCalcificationIsCalciumInTheAortaMask) {
  expect_visible_exactly_when_positive(kArterialCalcification, kAorticCalcium);
  expect_absent_among_all_other_findings(kArterialCalcification, kAorticCalcium);
}

const Criterion kCoronaryCalcium{[](const Scan& s) { return static_cast<double>(s.count_in(kHeart, 300, 2000)); }, 0.5,
                                 0.5};

TEST(PhantomFindings, CoronaryCalcificationIsCalciumInTheHeartMask) {
  expect_visible_exactly_when_positive(kCoronaryCalcification, kCoronaryCalcium);
  expect_absent_among_all_other_findings(kCoronaryCalcification, kCoronaryCalcium);
}

TEST(PhantomFindings, CardiomegalyRaisesTheCardiothoracicRatioAbove055) {
  // Cardiothoracic ratio from the masks: widest heart over widest extent of both lungs together.
  expect_visible_exactly_when_positive(
      kCardiomegaly, {[](const Scan& s) { return s.max_width_mm(kHeart) / s.max_width_mm(kLung); }, 0.55, 0.48});
}

TEST(PhantomFindings, PericardialEffusionIsAWaterDensityRimInTheHeartMask) {
  // Mean attenuation of the heart mask (calcium and metal clipped): myocardium ~40 HU, fluid ~10 HU.
  expect_visible_exactly_when_positive(kPericardialEffusion, {[](const Scan& s) {
                                                                double sum = 0;
                                                                int64_t n = 0;
                                                                s.each([&](uint8_t l, int hu, double, double, double) {
                                                                  if (l != kHeart) return;
                                                                  sum += std::clamp(hu, -100, 200);
                                                                  ++n;
                                                                });
                                                                return -sum /
                                                                       static_cast<double>(n);  // higher = more fluid
                                                              },
                                                              -30.0, -36.0});
}

// Largest axial cross-section of the esophagus mask, in mm^2.
double max_esophagus_area_mm2(const Scan& s) {
  double best = 0;
  const int64_t plane = s.s.shape[1] * s.s.shape[2];
  for (int64_t k = 0; k < s.s.shape[0]; ++k) {
    const auto first = s.s.anatomy.begin() + k * plane;
    best = std::max(best, static_cast<double>(std::count(first, first + plane, kEsophagus)));
  }
  return best * s.s.spacing[1] * s.s.spacing[2];
}

const Criterion kHerniaSac{max_esophagus_area_mm2, 900, 600};

TEST(PhantomFindings, HiatalHerniaDilatesTheLowerEsophagusWithAirAndFluid) {
  expect_visible_exactly_when_positive(kHiatalHernia, kHerniaSac);
  expect_absent_among_all_other_findings(kHiatalHernia, kHerniaSac);
  const PhantomOptions options = small_options();
  EXPECT_GT(render_scan(plan_with(options, 0, {kHiatalHernia}), options).count_in(kEsophagus, -2000, -500), 0)
      << "the hernia sac holds air";
}

// ---- lungs ---------------------------------------------------------------------------------------------

TEST(PhantomFindings, EmphysemaIsLungBelowMinus950Hu) {
  expect_visible_exactly_when_positive(kEmphysema,
                                       {[](const Scan& s) { return lung_fraction(s, -2000, -950); }, 0.02, 0.002});
}

TEST(PhantomFindings, LungNoduleIsSoftTissueInsideTheLung) {
  expect_visible_exactly_when_positive(
      kLungNodule, {[](const Scan& s) { return static_cast<double>(s.count_in(kLung, -100, 2000)); }, 0.5, 0.5});
}

TEST(PhantomFindings, ConsolidationIsALargeSoftTissueRegionInTheLung) {
  expect_visible_exactly_when_positive(
      kConsolidation,
      {[](const Scan& s) { return s.voxel_ml() * static_cast<double>(s.count_in(kLung, -100, 2000)); }, 10.0, 0.1});
}

TEST(PhantomFindings, LungOpacityIsGroundGlassAroundMinus550Hu) {
  expect_visible_exactly_when_positive(kLungOpacity,
                                       {[](const Scan& s) { return lung_fraction(s, -650, -470); }, 0.01, 0.002});
}

TEST(PhantomFindings, AtelectasisIsDenseLungAtTheBase) {
  expect_visible_exactly_when_positive(
      kAtelectasis, {[](const Scan& s) {
                       const auto z = s.z_range(kLung);
                       const double base = z[1] - 0.35 * (z[1] - z[0]);
                       return static_cast<double>(s.count([&](uint8_t l, int hu, double zz, double, double) {
                         return l == kLung && hu > -300 && zz > base;
                       }));
                     },
                     0.5, 0.5});
}

TEST(PhantomFindings, PulmonaryFibroticSequelaIsDenseStrandsInTheLung) {
  expect_visible_exactly_when_positive(
      kFibroticSequela, {[](const Scan& s) { return static_cast<double>(s.count_in(kLung, -250, 100)); }, 3.5, 0.5});
}

TEST(PhantomFindings, PleuralEffusionIsFluidInTheDependentLungBase) {
  // Mean HU of the lung mask's posterior half in its lowest quarter: parenchyma ~-850, fluid ~10.
  expect_visible_exactly_when_positive(kPleuralEffusion, {[](const Scan& s) {
                                                            const auto z = s.z_range(kLung);
                                                            const double base = z[1] - 0.25 * (z[1] - z[0]);
                                                            double sum = 0;
                                                            int64_t n = 0;
                                                            s.each([&](uint8_t l, int hu, double zz, double y, double) {
                                                              if (l != kLung || zz < base || y < 8) return;
                                                              sum += hu;
                                                              ++n;
                                                            });
                                                            return sum / static_cast<double>(n);
                                                          },
                                                          -600, -750});
}

TEST(PhantomFindings, MosaicAttenuationMixesLowAndHighDensityLung) {
  // Both tails of the parenchymal density grow: the smaller of the two fractions must.
  expect_visible_exactly_when_positive(
      kMosaicAttenuation,
      {[](const Scan& s) { return std::min(lung_fraction(s, -940, -900), lung_fraction(s, -790, -740)); }, 0.04, 0.02});
}

TEST(PhantomFindings, PeribronchialThickeningIsSoftTissueWallsInTheLung) {
  expect_visible_exactly_when_positive(
      kPeribronchialThickening,
      {[](const Scan& s) { return static_cast<double>(s.count_in(kLung, -150, 100)); }, 3.5, 0.5});
}

TEST(PhantomFindings, BronchiectasisIsDilatedAirTubesInTheLung) {
  expect_visible_exactly_when_positive(
      kBronchiectasis, {[](const Scan& s) { return static_cast<double>(s.count_in(kLung, -2000, -970)); }, 3.5, 0.5});
}

TEST(PhantomFindings, InterlobularSeptalThickeningIsALatticeOfDenseLinesInTheLung) {
  expect_visible_exactly_when_positive(kSeptalThickening,
                                       {[](const Scan& s) { return lung_fraction(s, -450, -220); }, 0.02, 0.001});
}

// ---- independence --------------------------------------------------------------------------------------

TEST(PhantomFindings, SwitchingALungFindingChangesOnlyLungVoxels) {
  // Findings draw from their own streams and noise is a function of the voxel: a nodule must not move the
  // vessels, the noise or any other structure.
  const PhantomOptions options = small_options();
  const Scan with = render_scan(plan_with(options, 2, {kLungNodule, kEmphysema}), options);
  const Scan without = render_scan(plan_with(options, 2, {kEmphysema}), options);
  ASSERT_EQ(with.s.anatomy, without.s.anatomy);
  int64_t changed = 0;
  for (size_t i = 0; i < with.s.volume.size(); ++i) {
    if (with.s.volume[i] == without.s.volume[i]) continue;
    ++changed;
    EXPECT_EQ(with.s.anatomy[i], kLung) << "voxel " << i;
  }
  EXPECT_GT(changed, 0);
}

TEST(PhantomFindings, ChronicFindingsSitInTheSamePlaceInEveryScanOfAPatient) {
  // A nodule is chronic (patient stream), consolidation acute (scan stream): in a follow-up scan the
  // nodule's voxels are the same, the consolidation moves.
  const PhantomOptions options = small_options();
  const auto plans = plan_cohort(40, options);
  size_t first = 0;
  while (first + 1 < plans.size() && plans[first].patient != plans[first + 1].patient) ++first;
  ASSERT_LT(first + 1, plans.size()) << "no patient with two scans";
  auto dense_lung_voxels = [&](const ScanPlan& base, int finding) {
    ScanPlan plan = base;
    plan.labels.assign(kNumFindings, 0);
    plan.labels[static_cast<size_t>(finding)] = 1;
    const Sample s = render(plan, options);
    std::vector<size_t> voxels;
    for (size_t i = 0; i < s.volume.size(); ++i)
      if (s.anatomy[i] == kLung && s.volume[i] > -100) voxels.push_back(i);
    return voxels;
  };
  const auto nodule_a = dense_lung_voxels(plans[first], kLungNodule);
  EXPECT_FALSE(nodule_a.empty());
  EXPECT_EQ(nodule_a, dense_lung_voxels(plans[first + 1], kLungNodule));
  EXPECT_NE(dense_lung_voxels(plans[first], kConsolidation), dense_lung_voxels(plans[first + 1], kConsolidation));
}

}  // namespace
}  // namespace cagcl::data::phantom::testing
