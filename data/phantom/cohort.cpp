// plan_cohort: names, split, body shape and labels of every scan, decided from seeds alone.
//
// Prevalence model. Each label fires if any of its *sources* fires. A source is a latent factor (smoker,
// heart failure, fibrosis: per patient; infection: per scan) together with the probability that the factor
// produces the finding; one extra background source per label is solved so that the marginal prevalence is
// exactly the target: P(label) = 1 - prod_i (1 - P(factor_i) p_i) * (1 - p_background). Calcifications and
// hiatal hernia instead rise linearly with age, p = 2 * target * u with u = (age - 30) / 55 uniform, whose mean
// is the target. Shared factors give CT-RATE-like co-occurrence without fitting a joint distribution.
#include <cmath>
#include <string>

#include "common/error.hpp"
#include "data/phantom/cohort.hpp"
#include "data/phantom/findings.hpp"
#include "data/phantom/phantom.hpp"
#include "data/phantom/rng.hpp"

namespace cagcl::data::phantom {

namespace {

enum class Factor { smoker, heart_failure, fibrosis, infection };

struct Source {
  Factor factor;
  double p;  // P(finding | factor)
};

double factor_probability(Factor f) {
  switch (f) {
    case Factor::smoker: return kPSmoker;
    case Factor::heart_failure: return kPHeartFailure;
    case Factor::fibrosis: return kPFibrosis;
    case Factor::infection: return kPInfection;
  }
  return 0;
}

bool factor_present(Factor f, const PatientFactors& patient, bool infection) {
  switch (f) {
    case Factor::smoker: return patient.smoker;
    case Factor::heart_failure: return patient.heart_failure;
    case Factor::fibrosis: return patient.fibrosis;
    case Factor::infection: return infection;
  }
  return false;
}

std::vector<Source> sources_of(int finding) {
  switch (finding) {
    case kMedicalMaterial: return {{Factor::heart_failure, 0.30}};
    case kCardiomegaly: return {{Factor::heart_failure, 0.45}};
    case kPericardialEffusion: return {{Factor::heart_failure, 0.30}};
    case kLymphadenopathy: return {{Factor::infection, 0.40}};
    case kEmphysema: return {{Factor::smoker, 0.45}};
    case kAtelectasis: return {{Factor::infection, 0.40}};
    case kLungNodule: return {{Factor::smoker, 0.60}};
    case kLungOpacity: return {{Factor::infection, 0.80}};
    case kFibroticSequela: return {{Factor::fibrosis, 0.90}};
    case kPleuralEffusion: return {{Factor::heart_failure, 0.45}};
    case kPeribronchialThickening: return {{Factor::infection, 0.20}, {Factor::smoker, 0.10}};
    case kConsolidation: return {{Factor::infection, 0.50}};
    case kBronchiectasis: return {{Factor::fibrosis, 0.35}};
    case kSeptalThickening: return {{Factor::heart_failure, 0.20}, {Factor::fibrosis, 0.20}};
    default: return {};
  }
}

bool rises_with_age(int finding) {
  return finding == kArterialCalcification || finding == kCoronaryCalcification || finding == kHiatalHernia;
}

// Probability of the background source that makes the marginal prevalence exactly the target.
double background_probability(int finding) {
  double p_no_factor_source = 1.0;
  for (const Source& s : sources_of(finding)) p_no_factor_source *= 1 - factor_probability(s.factor) * s.p;
  return 1 - (1 - kTargetPrevalence[static_cast<size_t>(finding)]) / p_no_factor_source;
}

bool draw_label(int finding, Rng& rng, const PatientFactors& patient, bool infection) {
  if (rises_with_age(finding)) {
    const double u = (patient.age_years - kMinAge) / (kMaxAge - kMinAge);
    return rng.bernoulli(2 * kTargetPrevalence[static_cast<size_t>(finding)] * u);
  }
  bool fired = rng.bernoulli(background_probability(finding));
  for (const Source& s : sources_of(finding)) {
    // Always consume the draw, so the stream does not depend on which sources fired.
    const bool source_fires = rng.bernoulli(s.p);
    fired = fired || (source_fires && factor_present(s.factor, patient, infection));
  }
  return fired;
}

PatientFactors draw_factors(Rng& rng) {
  PatientFactors f;
  f.age_years = rng.uniform(kMinAge, kMaxAge);
  f.smoker = rng.bernoulli(kPSmoker);
  f.heart_failure = rng.bernoulli(kPHeartFailure);
  f.fibrosis = rng.bernoulli(kPFibrosis);
  return f;
}

PatientBody draw_body(Rng& rng) {
  PatientBody b;
  b.scale_xy = rng.uniform(0.88, 1.04);
  b.scale_z = rng.uniform(0.90, 1.05);
  b.fat_mm = rng.uniform(8, 22);
  b.lung_hu = rng.uniform(-870, -830);
  b.heart_scale = rng.uniform(0.92, 1.06);
  b.heart_shift_x_mm = rng.uniform(-6, 6);
  b.heart_shift_z_mm = rng.uniform(-8, 8);
  b.aorta_radius_mm = rng.uniform(11, 15);
  return b;
}

// About 60 % of patients have one scan, 25 % two, 15 % three (CT-RATE has ~1.2 scans per patient and
// several reconstructions per scan; follow-ups matter here because chronic findings must persist).
int draw_scan_count(Rng& rng) {
  const double u = rng.uniform();
  return u < 0.60 ? 1 : (u < 0.85 ? 2 : 3);
}

// Ordinal p of a sequence is picked when the running count floor((p + 1) f) steps up: an exact, interleaved
// fraction that does not depend on how many volumes are planned.
bool running_count_steps_up(int64_t ordinal, double fraction) {
  return std::floor((ordinal + 1) * fraction) > std::floor(ordinal * fraction);
}

}  // namespace

std::array<double, 3> resolved_spacing(const PhantomOptions& options) {
  for (int64_t n : options.size) {
    if (n < 16 || n > 1024) throw UsageError("--size: each of D, H, W must be in [16, 1024], got " + std::to_string(n));
  }
  if (!options.spacing) {
    return {320.0 / static_cast<double>(options.size[0]), 360.0 / static_cast<double>(options.size[1]),
            360.0 / static_cast<double>(options.size[2])};
  }
  for (double s : *options.spacing) {
    if (!(s > 0) || !std::isfinite(s))
      throw UsageError("--spacing: each of z, y, x must be > 0 mm, got " + std::to_string(s));
  }
  return *options.spacing;
}

std::vector<ScanPlan> plan_cohort(int64_t volumes, const PhantomOptions& options) {
  if (volumes < 1) throw UsageError("--volumes: must be >= 1, got " + std::to_string(volumes));
  if (!(options.valid_fraction >= 0 && options.valid_fraction < 1))
    throw UsageError("--valid-fraction: must be in [0, 1), got " + std::to_string(options.valid_fraction));
  if (!(options.test_fraction >= 0 && options.valid_fraction + options.test_fraction < 1))
    throw UsageError("--test-fraction: must be >= 0 and leave patients for training (valid + test < 1), got " +
                     std::to_string(options.test_fraction));
  // Test patients are drawn from the non-valid ones, so adding a test split leaves the valid split as it was.
  const double test_share_of_rest = options.test_fraction / (1 - options.valid_fraction);
  resolved_spacing(options);

  std::vector<ScanPlan> plans;
  int64_t train_patients = 0, valid_patients = 0, test_patients = 0, non_valid_ordinal = 0;
  for (int64_t ordinal = 0; static_cast<int64_t>(plans.size()) < volumes; ++ordinal) {
    const uint64_t patient_seed = derive_seed(options.seed, Stream::patient, static_cast<uint64_t>(ordinal));
    Rng patient_rng(derive_seed(patient_seed, Stream::labels));
    const PatientFactors factors = draw_factors(patient_rng);
    // Chronic labels: one draw per patient, shared by all of their scans.
    std::vector<uint8_t> chronic(kNumFindings, 0);
    for (int f = 0; f < kNumFindings; ++f) {
      if (is_chronic(f)) chronic[static_cast<size_t>(f)] = draw_label(f, patient_rng, factors, false) ? 1 : 0;
    }
    Rng body_rng(derive_seed(patient_seed, Stream::body));
    const PatientBody body = draw_body(body_rng);
    const int scans = draw_scan_count(patient_rng);

    const bool valid = running_count_steps_up(ordinal, options.valid_fraction);
    const bool test = !valid && running_count_steps_up(non_valid_ordinal++, test_share_of_rest);
    const std::string split = valid ? "valid" : (test ? "test" : "train");
    const int64_t number = valid ? ++valid_patients : (test ? ++test_patients : ++train_patients);
    const std::string patient = split + "_" + std::to_string(number);
    for (int s = 0; s < scans && static_cast<int64_t>(plans.size()) < volumes; ++s) {
      ScanPlan plan;
      plan.index = static_cast<int64_t>(plans.size());
      plan.patient = patient;
      plan.split = split;
      plan.scan_of_patient = s;
      plan.name = patient + "_" + std::string(1, static_cast<char>('a' + s)) + "_1";
      plan.patient_seed = patient_seed;
      plan.scan_seed = derive_seed(patient_seed, Stream::scan, static_cast<uint64_t>(s));
      plan.factors = factors;
      plan.body = body;
      Rng scan_rng(derive_seed(plan.scan_seed, Stream::labels));
      plan.infection = scan_rng.bernoulli(kPInfection);
      plan.labels = chronic;
      for (int f = 0; f < kNumFindings; ++f) {
        if (!is_chronic(f))
          plan.labels[static_cast<size_t>(f)] = draw_label(f, scan_rng, factors, plan.infection) ? 1 : 0;
      }
      plans.push_back(std::move(plan));
    }
  }
  return plans;
}

}  // namespace cagcl::data::phantom
