#pragma once
// Synthetic chest-CT phantoms: the embedded default dataset for tests, CI and first runs.
//
// A cohort is planned first (cheap: who has which finding, body geometry seeds, names, split), then each scan
// is rendered on its own, so ranks can render disjoint parts of one cohort in parallel and get the same bytes.
// Conventions (axes, HU, findings, prevalences) are documented in docs/synthetic-phantoms.md.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "data/sample.hpp"
#include "data/schema.hpp"

namespace cagcl::data::phantom {

struct PhantomOptions {
  std::array<int64_t, 3> size{64, 128, 128};     // D, H, W voxels
  std::optional<std::array<double, 3>> spacing;  // z, y, x mm; default: 320 mm / D, 360 mm / H, 360 mm / W
  uint64_t seed = 42;
  double valid_fraction = 0.2;  // fraction of PATIENTS in the "valid" split
  double test_fraction = 0.0;   // fraction of PATIENTS in the held-out "test" split (never trained or tuned on)
};

// Latent patient state from which findings co-occur (docs/synthetic-phantoms.md, "Prevalence model").
struct PatientFactors {
  double age_years = 0;
  bool smoker = false;
  bool heart_failure = false;
  bool fibrosis = false;
};

// Per-patient body shape. Every value is a multiplier or offset of the nominal adult chest of
// anatomy_model.cpp, so that one patient looks the same in all of their scans.
struct PatientBody {
  double scale_xy = 1.0;     // in-plane body and organ scale
  double scale_z = 1.0;      // cranio-caudal scale
  double fat_mm = 15.0;      // subcutaneous fat thickness
  double lung_hu = -850.0;   // parenchymal attenuation
  double heart_scale = 1.0;  // normal variation of heart size (cardiomegaly comes on top)
  double heart_shift_x_mm = 0.0;
  double heart_shift_z_mm = 0.0;
  double aorta_radius_mm = 13.0;
};

// One scan of the cohort, decided before rendering. `labels` may be overwritten before `render` (tests and
// demos force findings that way): render draws exactly the positive labels, and a scan's findings are drawn
// from their own random streams, so switching one label on or off changes nothing else in the volume.
struct ScanPlan {
  int64_t index = 0;            // position in the cohort
  std::string name;             // e.g. "train_12_b_1"
  std::string patient;          // e.g. "train_12"
  std::string split;            // "train", "valid" or "test"
  std::vector<uint8_t> labels;  // 18, CT-RATE order (ct_rate_labels())
  int scan_of_patient = 0;      // 0 = first scan ('a')
  uint64_t patient_seed = 0;    // body, vessels and chronic findings: identical in all of a patient's scans
  uint64_t scan_seed = 0;       // noise, acute findings and report wording
  PatientFactors factors;
  bool infection = false;  // acute latent factor of this scan
  PatientBody body;
};

// Plans `volumes` scans: patients with 1..3 scans each, patient-level split. Deterministic in (volumes,
// options); the plan of N volumes is a prefix of the plan of N + M volumes except for the last patient's
// scan count. The valid patients do not depend on test_fraction (test patients are taken from the others).
// Throws UsageError naming --volumes, --size, --spacing, --valid-fraction or --test-fraction.
std::vector<ScanPlan> plan_cohort(int64_t volumes, const PhantomOptions& options);

// Renders one scan and fills every field of Sample. Byte-identical for the same (plan, options) on every
// platform with IEEE-754 doubles; independent of every other scan.
Sample render(const ScanPlan& plan, const PhantomOptions& options);

// Checks the options (throws UsageError naming the option) and returns the spacing in use.
std::array<double, 3> resolved_spacing(const PhantomOptions& options);

// The anatomy list (label value k = k-th name) and the label list this generator uses.
inline const std::vector<std::string>& anatomies() { return default_anatomies(); }
inline const std::vector<std::string>& labels() { return ct_rate_labels(); }

}  // namespace cagcl::data::phantom
