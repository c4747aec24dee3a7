#pragma once
// The label sets that zero-shot results are reported on (METHOD.md, docs/evaluation.md):
//   fvlm16     the 16 CT-RATE labels that belong to an anatomy (fVLM's protocol; papers report it);
//   radchest14 the 14 labels Rad-ChestCT shares with it: 10 lung labels (no mosaic attenuation),
//              cardiomegaly, pericardial effusion, hiatal hernia, and Calcification, merged from the
//              coronary (heart) and arterial wall (aorta) calcification scores.
// A *finding* is what gets prompted (a name and the anatomy whose embedding is scored); a *label* is what
// gets reported, scored from one finding or merged from two.
#include <cstdint>
#include <string>
#include <vector>

namespace cagcl::eval {

struct Finding {
  std::string name;     // exact CT-RATE label name, also {X} in the prompts
  std::string anatomy;  // anatomy whose embedding is scored, also {anatomy} in the prompts
};

struct ProtocolLabel {
  std::string name;                   // reported name, and the ground-truth column looked up first
  std::vector<std::string> findings;  // one finding, or the two merged (coronary, arterial) for Calcification
  // Ground truth when the dataset has no column named `name`: the OR of these columns (CT-RATE-style data
  // evaluated under radchest14). Empty = the column `name` is required.
  std::vector<std::string> truth_fallback;
};

struct Protocol {
  std::string name;
  std::vector<Finding> findings;
  std::vector<ProtocolLabel> labels;
};

// "fvlm16" or "radchest14"; UsageError naming --protocol and the choices otherwise.
Protocol protocol_by_name(const std::string& name);
std::vector<std::string> protocol_names();

// Rad-ChestCT's Calcification from coronary (c) and arterial wall (a) calcification scores:
// max(c, a) when either is above 0.5, else min(c, a) (fVLM's rule).
double merge_calcification(double coronary, double arterial);

// Where each label's ground truth comes from in a dataset with these label columns: for label l, the column
// indices to OR (one index when the dataset has the label itself). DataError naming dataset.json, the
// protocol and the missing column otherwise; also when a finding's anatomy is not in `anatomies`.
std::vector<std::vector<size_t>> truth_columns(const Protocol& protocol, const std::vector<std::string>& labels,
                                               const std::vector<std::string>& anatomies,
                                               const std::string& dataset_name);

}  // namespace cagcl::eval
