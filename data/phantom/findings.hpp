#pragma once
// Drawing the 18 CT-RATE findings into a phantom. Each finding draws from its own random stream
// (finding_seed), so a scan with one label switched differs from the original only where that finding is.
// What was drawn (side, lobe, size, count, variant) is returned so the report says what the image shows.
#include <array>
#include <string>

#include "data/phantom/anatomy_model.hpp"
#include "data/phantom/finding_ids.hpp"
#include "data/phantom/phantom.hpp"

namespace cagcl::data::phantom {

enum class Side { right, left, both };

struct FindingFacts {
  bool present = false;
  Side side = Side::both;
  bool upper = false;  // lung findings: upper (true) or lower lobe(s)
  double size_mm = 0;  // nodule diameter, node short axis, hernia width, effusion depth, rim thickness
  int count = 0;
  int variant = 0;  // finding-specific kind (e.g. pacemaker vs port), chosen by the finding's stream
};
using FindingFactsTable = std::array<FindingFacts, kNumFindings>;

// Chronic findings (calcifications, emphysema, nodules, fibrosis, ...) persist across a patient's scans and
// are drawn from the patient's stream, so the same nodule sits in the same place in every scan; acute ones
// come from the scan's stream.
bool is_chronic(int finding);
uint64_t finding_seed(const ScanPlan& plan, int finding);

// Findings that change an organ's outline (cardiomegaly, pericardial effusion, hiatal hernia): applied to
// the model before the organs are painted, so the masks include them.
void shape_findings(ChestModel& model, const ScanPlan& plan, FindingFactsTable& facts);

// Every other finding, painted on the finished normal chest.
void draw_findings(Grid& grid, const ChestModel& model, const ScanPlan& plan, FindingFactsTable& facts);

// Attenuation of drawn lesions (HU before noise); tests and docs refer to them.
namespace lesion {
inline constexpr float kNodule = 35, kEmphysema = -975, kAtelectasis = 25, kGroundGlass = -560;
inline constexpr float kConsolidation = 30, kFibroticStrand = -60, kPleuralFluid = 10, kSeptum = -330;
inline constexpr float kBronchialWall = 10, kBronchiectaticWall = -60, kCalcium = 850, kMetal = 3000;
inline constexpr float kLymphNode = 40;
inline constexpr float kMosaicLow = -80, kMosaicHigh = 75;  // offsets from the parenchyma
}  // namespace lesion

}  // namespace cagcl::data::phantom
