#pragma once
// Radiology-report sentences for a rendered phantom: per-anatomy description (findings) and conclusion
// (impression) sentences, and the whole Findings / Impression sections.
#include "data/phantom/findings.hpp"
#include "data/sample.hpp"

namespace cagcl::data::phantom {

// Fills conclusion, description, normal, text_id, findings and impression of `sample`. Wording is chosen
// from several phrasings per finding with the scan's wording stream; side, lobe, size and count come from
// what was drawn (facts), so text and image agree.
void write_report(Sample& sample, const ScanPlan& plan, const FindingFactsTable& facts);

}  // namespace cagcl::data::phantom
