// plan_cohort: determinism, names and split, scans per patient, prevalence and co-occurrence of labels.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "common/error.hpp"
#include "data/phantom/cohort.hpp"
#include "data/phantom/findings.hpp"
#include "tests/data/phantom/phantom_test_util.hpp"

namespace cagcl::data::phantom::testing {
namespace {

bool same_plan(const ScanPlan& a, const ScanPlan& b) {
  return a.index == b.index && a.name == b.name && a.patient == b.patient && a.split == b.split &&
         a.labels == b.labels && a.patient_seed == b.patient_seed && a.scan_seed == b.scan_seed &&
         a.body.scale_xy == b.body.scale_xy && a.body.lung_hu == b.body.lung_hu;
}

TEST(PhantomCohort, PlanIsDeterministic) {
  const auto a = plan_cohort(50, small_options()), b = plan_cohort(50, small_options());
  ASSERT_EQ(a.size(), 50u);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(same_plan(a[i], b[i])) << i;
}

TEST(PhantomCohort, SeedChangesThePlan) {
  const auto a = plan_cohort(20, small_options(1)), b = plan_cohort(20, small_options(2));
  int same_labels = 0;
  for (size_t i = 0; i < a.size(); ++i) same_labels += a[i].labels == b[i].labels ? 1 : 0;
  EXPECT_LT(same_labels, 10);
}

TEST(PhantomCohort, SmallerCohortIsAPrefixOfALargerOne) {
  const auto small = plan_cohort(7, small_options()), large = plan_cohort(40, small_options());
  // The last patient of the small cohort may be cut short; every scan that exists is the same scan.
  for (size_t i = 0; i < small.size(); ++i) EXPECT_TRUE(same_plan(small[i], large[i])) << i;
}

TEST(PhantomCohort, NamesFollowCtRateAndIndicesCount) {
  const auto plans = plan_cohort(30, small_options());
  for (size_t i = 0; i < plans.size(); ++i) {
    const ScanPlan& p = plans[i];
    EXPECT_EQ(p.index, static_cast<int64_t>(i));
    EXPECT_EQ(p.name, p.patient + "_" + std::string(1, static_cast<char>('a' + p.scan_of_patient)) + "_1");
    EXPECT_EQ(p.patient.rfind(p.split + "_", 0), 0u) << p.patient;
    EXPECT_EQ(p.labels.size(), static_cast<size_t>(kNumFindings));
  }
}

TEST(PhantomCohort, PatientsHaveOneToThreeScansAndSomeHaveSeveral) {
  std::map<std::string, int> scans;
  for (const ScanPlan& p : plan_cohort(2000, small_options())) ++scans[p.patient];
  int single = 0, several = 0;
  for (const auto& [patient, n] : scans) {
    EXPECT_GE(n, 1);
    EXPECT_LE(n, 3);
    (n == 1 ? single : several) += 1;
  }
  EXPECT_GT(several, 0);
  const double single_fraction = static_cast<double>(single) / static_cast<double>(scans.size());
  EXPECT_NEAR(single_fraction, 0.60, 0.05);
}

TEST(PhantomCohort, NoPatientIsInBothSplitsAndValidFractionIsPerPatient) {
  std::map<std::string, std::set<std::string>> splits;
  for (const ScanPlan& p : plan_cohort(1000, small_options())) splits[p.patient].insert(p.split);
  int valid = 0;
  for (const auto& [patient, s] : splits) {
    EXPECT_EQ(s.size(), 1u) << patient;
    valid += s.count("valid") ? 1 : 0;
  }
  EXPECT_NEAR(static_cast<double>(valid) / static_cast<double>(splits.size()), 0.2, 0.01);
}

TEST(PhantomCohort, ChronicFindingsAndBodyPersistAcrossAPatientsScans) {
  std::map<std::string, const ScanPlan*> first;
  const auto plans = plan_cohort(300, small_options());
  int followups = 0;
  for (const ScanPlan& p : plans) {
    auto [it, inserted] = first.emplace(p.patient, &p);
    if (inserted) continue;
    ++followups;
    EXPECT_EQ(p.patient_seed, it->second->patient_seed);
    EXPECT_EQ(p.body.scale_xy, it->second->body.scale_xy);
    for (int f = 0; f < kNumFindings; ++f) {
      if (is_chronic(f)) {
        EXPECT_EQ(p.labels[f], it->second->labels[f]) << p.name << " " << labels()[f];
      }
    }
  }
  EXPECT_GT(followups, 0);
}

std::array<double, kNumFindings> prevalence(const std::vector<ScanPlan>& plans) {
  std::array<double, kNumFindings> p{};
  for (const ScanPlan& plan : plans)
    for (int f = 0; f < kNumFindings; ++f) p[f] += plan.labels[f];
  for (double& v : p) v /= static_cast<double>(plans.size());
  return p;
}

TEST(PhantomCohort, PrevalenceOf2000PlansIsNearCtRateTargets) {
  // Binomial SD at n = 2000 is <= 0.011; scans of one patient are correlated, hence 0.04.
  const auto p = prevalence(plan_cohort(2000, small_options()));
  for (int f = 0; f < kNumFindings; ++f) EXPECT_NEAR(p[f], kTargetPrevalence[f], 0.04) << labels()[f];
}

// P(b | a) / P(b): > 1 when a and b share a latent factor.
double lift(const std::vector<ScanPlan>& plans, int a, int b) {
  double n_a = 0, n_b = 0, n_ab = 0;
  for (const ScanPlan& p : plans) {
    n_a += p.labels[a];
    n_b += p.labels[b];
    n_ab += p.labels[a] && p.labels[b] ? 1 : 0;
  }
  return (n_ab / n_a) / (n_b / static_cast<double>(plans.size()));
}

TEST(PhantomCohort, FindingsWithACommonCauseCoOccur) {
  const auto plans = plan_cohort(4000, small_options());
  EXPECT_GT(lift(plans, kCardiomegaly, kPleuralEffusion), 1.5);                 // heart failure
  EXPECT_GT(lift(plans, kCardiomegaly, kPericardialEffusion), 1.5);             // heart failure
  EXPECT_GT(lift(plans, kEmphysema, kLungNodule), 1.1);                         // smoking
  EXPECT_GT(lift(plans, kArterialCalcification, kCoronaryCalcification), 1.2);  // age
  EXPECT_GT(lift(plans, kConsolidation, kLungOpacity), 1.5);                    // infection
  EXPECT_GT(lift(plans, kFibroticSequela, kBronchiectasis), 1.5);               // fibrosis
}

TEST(PhantomCohort, RejectsBadOptionsNamingTheOption) {
  auto message_of = [](auto&& call) -> std::string {
    try {
      call();
    } catch (const UsageError& e) {
      return e.what();
    }
    return "no UsageError";
  };
  PhantomOptions o = small_options();
  EXPECT_NE(message_of([&] { plan_cohort(0, o); }).find("--volumes"), std::string::npos);
  o.size = {15, 64, 64};
  EXPECT_NE(message_of([&] { plan_cohort(1, o); }).find("--size"), std::string::npos);
  o.size = {32, 64, 1025};
  EXPECT_NE(message_of([&] { plan_cohort(1, o); }).find("--size"), std::string::npos);
  o = small_options();
  o.spacing = std::array<double, 3>{1.0, 0.0, 1.0};
  EXPECT_NE(message_of([&] { plan_cohort(1, o); }).find("--spacing"), std::string::npos);
  o = small_options();
  o.valid_fraction = 1.0;
  EXPECT_NE(message_of([&] { plan_cohort(1, o); }).find("--valid-fraction"), std::string::npos);
  o.valid_fraction = -0.1;
  EXPECT_NE(message_of([&] { plan_cohort(1, o); }).find("--valid-fraction"), std::string::npos);
}

}  // namespace
}  // namespace cagcl::data::phantom::testing
