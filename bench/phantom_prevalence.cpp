// Measured label prevalence of a planned phantom cohort, as the Markdown table of
// docs/synthetic-phantoms.md ("Prevalence model"). Plans only; nothing is rendered.
//   phantom_prevalence [volumes=20000] [seed=42]
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "data/phantom/cohort.hpp"
#include "data/phantom/findings.hpp"
#include "data/phantom/phantom.hpp"

int main(int argc, char** argv) {
  namespace ph = cagcl::data::phantom;
  const int64_t volumes = argc > 1 ? std::atoll(argv[1]) : 20000;
  ph::PhantomOptions options;
  if (argc > 2) options.seed = std::strtoull(argv[2], nullptr, 10);
  const auto plans = ph::plan_cohort(volumes, options);
  std::map<std::string, int> scans_of;
  for (const auto& p : plans) ++scans_of[p.patient];
  int single = 0, valid = 0;
  for (const auto& [patient, n] : scans_of) {
    single += n == 1 ? 1 : 0;
    valid += patient.rfind("valid", 0) == 0 ? 1 : 0;
  }
  std::printf("%lld scans, %zu patients (%.1f %% with one scan, %.1f %% in valid), seed %llu\n\n",
              static_cast<long long>(plans.size()), scans_of.size(),
              100.0 * single / static_cast<double>(scans_of.size()),
              100.0 * valid / static_cast<double>(scans_of.size()), static_cast<unsigned long long>(options.seed));
  std::printf("| Label | Kind | Target %% | Measured %% |\n|---|---|---:|---:|\n");
  for (int f = 0; f < ph::kNumFindings; ++f) {
    double n = 0;
    for (const auto& p : plans) n += p.labels[static_cast<size_t>(f)];
    std::printf("| %s | %s | %.0f | %.1f |\n", ph::labels()[static_cast<size_t>(f)].c_str(),
                ph::is_chronic(f) ? "chronic" : "acute", 100 * ph::kTargetPrevalence[static_cast<size_t>(f)],
                100 * n / static_cast<double>(plans.size()));
  }
  double normal = 0;
  for (const auto& p : plans) {
    bool any = false;
    for (uint8_t v : p.labels) any = any || v;
    normal += any ? 0 : 1;
  }
  std::printf("\nScans with no finding: %.1f %%\n", 100 * normal / static_cast<double>(plans.size()));
  return 0;
}
