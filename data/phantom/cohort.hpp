#pragma once
// Who has which finding: the prevalence model behind plan_cohort (docs/synthetic-phantoms.md).
#include <array>

#include "data/phantom/finding_ids.hpp"

namespace cagcl::data::phantom {

// Target per-scan prevalence of each label (CT-RATE-like), CT-RATE order.
inline constexpr std::array<double, kNumFindings> kTargetPrevalence = {
    0.12, 0.28, 0.10, 0.07, 0.25, 0.14, 0.26, 0.20, 0.26, 0.45, 0.38, 0.27, 0.12, 0.08, 0.11, 0.17, 0.10, 0.08,
};

// Probabilities of the latent factors.
inline constexpr double kPSmoker = 0.35, kPHeartFailure = 0.15, kPFibrosis = 0.20, kPInfection = 0.30;
inline constexpr double kMinAge = 30, kMaxAge = 85;

}  // namespace cagcl::data::phantom
