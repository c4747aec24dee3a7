#include "eval/protocol.hpp"

#include <algorithm>

#include "common/error.hpp"

namespace cagcl::eval {
namespace {

const char* const kLungLabels[] = {"Emphysema",
                                   "Atelectasis",
                                   "Lung nodule",
                                   "Lung opacity",
                                   "Pulmonary fibrotic sequela",
                                   "Pleural effusion",
                                   "Mosaic attenuation pattern",
                                   "Peribronchial thickening",
                                   "Consolidation",
                                   "Bronchiectasis",
                                   "Interlobular septal thickening"};

void add_single(Protocol& p, const std::string& name, const std::string& anatomy) {
  p.findings.push_back({name, anatomy});
  p.labels.push_back({name, {name}, {}});
}

Protocol fvlm16() {
  Protocol p;
  p.name = "fvlm16";
  for (const char* name : kLungLabels) add_single(p, name, "lung");
  for (const char* name : {"Cardiomegaly", "Pericardial effusion", "Coronary artery wall calcification"})
    add_single(p, name, "heart");
  add_single(p, "Hiatal hernia", "esophagus");
  add_single(p, "Arterial wall calcification", "aorta");
  return p;
}

Protocol radchest14() {
  Protocol p;
  p.name = "radchest14";
  for (const char* name : kLungLabels)
    if (std::string(name) != "Mosaic attenuation pattern") add_single(p, name, "lung");
  add_single(p, "Cardiomegaly", "heart");
  add_single(p, "Pericardial effusion", "heart");
  add_single(p, "Hiatal hernia", "esophagus");
  p.findings.push_back({"Coronary artery wall calcification", "heart"});
  p.findings.push_back({"Arterial wall calcification", "aorta"});
  p.labels.push_back({"Calcification",
                      {"Coronary artery wall calcification", "Arterial wall calcification"},
                      {"Coronary artery wall calcification", "Arterial wall calcification"}});
  return p;
}

}  // namespace

std::vector<std::string> protocol_names() { return {"fvlm16", "radchest14"}; }

Protocol protocol_by_name(const std::string& name) {
  if (name == "fvlm16") return fvlm16();
  if (name == "radchest14") return radchest14();
  throw UsageError("--protocol: unknown protocol '" + name + "' (choose fvlm16 or radchest14)");
}

double merge_calcification(double coronary, double arterial) {
  return (coronary > 0.5 || arterial > 0.5) ? std::max(coronary, arterial) : std::min(coronary, arterial);
}

std::vector<std::vector<size_t>> truth_columns(const Protocol& protocol, const std::vector<std::string>& labels,
                                               const std::vector<std::string>& anatomies,
                                               const std::string& dataset_name) {
  const auto column = [&](const std::string& name) -> std::ptrdiff_t {
    const auto it = std::find(labels.begin(), labels.end(), name);
    return it == labels.end() ? -1 : it - labels.begin();
  };
  for (const auto& f : protocol.findings)
    if (std::find(anatomies.begin(), anatomies.end(), f.anatomy) == anatomies.end())
      throw DataError(dataset_name + ": field 'anatomies' lacks '" + f.anatomy + "', which protocol " + protocol.name +
                      " scores '" + f.name + "' on");
  std::vector<std::vector<size_t>> out;
  for (const auto& label : protocol.labels) {
    if (const auto c = column(label.name); c >= 0) {
      out.push_back({static_cast<size_t>(c)});
      continue;
    }
    std::vector<size_t> merged;
    for (const auto& name : label.truth_fallback) {
      const auto c = column(name);
      if (c < 0) break;
      merged.push_back(static_cast<size_t>(c));
    }
    if (label.truth_fallback.empty() || merged.size() != label.truth_fallback.size())
      throw DataError(dataset_name + ": field 'labels' lacks '" + label.name + "'" +
                      (label.truth_fallback.empty() ? std::string() : " (or all of the columns it merges)") +
                      ", needed by protocol " + protocol.name);
    out.push_back(merged);
  }
  return out;
}

}  // namespace cagcl::eval
