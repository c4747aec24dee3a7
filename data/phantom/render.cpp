// render(): one scan from its plan, in four steps: normal anatomy model -> outline-changing findings ->
// paint organs -> paint other findings -> noise; then the report from what was drawn.
#include "common/error.hpp"
#include "data/phantom/anatomy_model.hpp"
#include "data/phantom/findings.hpp"
#include "data/phantom/noise.hpp"
#include "data/phantom/phantom.hpp"
#include "data/phantom/report_writer.hpp"
#include "data/phantom/rng.hpp"

namespace cagcl::data::phantom {

Sample render(const ScanPlan& plan, const PhantomOptions& options) {
  const std::array<double, 3> spacing = resolved_spacing(options);
  if (plan.labels.size() != static_cast<size_t>(kNumFindings))
    throw Error("phantom::render: plan '" + plan.name + "' has " + std::to_string(plan.labels.size()) +
                " labels, expected " + std::to_string(kNumFindings));

  ChestModel model = build_chest_model(plan.body);
  FindingFactsTable facts{};
  shape_findings(model, plan, facts);
  Grid grid(options.size, spacing);
  paint_chest(grid, model, derive_seed(plan.patient_seed, Stream::vessels));
  draw_findings(grid, model, plan, facts);

  Sample sample;
  sample.name = plan.name;
  sample.patient = plan.patient;
  sample.split = plan.split;
  sample.shape = options.size;
  sample.spacing = spacing;
  sample.volume = quantise_with_noise(grid.hu, derive_seed(plan.scan_seed, Stream::noise));
  sample.anatomy = std::move(grid.label);
  sample.labels = plan.labels;
  write_report(sample, plan, facts);
  return sample;
}

}  // namespace cagcl::data::phantom
