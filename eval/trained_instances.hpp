#pragma once
// How many intact instances of each anatomy a run fed to its training losses, read from RUN/metrics.jsonl
// (docs/training.md, "metrics.jsonl"): the step lines' "intact_instances", each step counted once, from the
// line of the highest invocation (steps repeated after a resume are dropped). `cagcl eval` prints it, so an
// anatomy that never trained is visible next to its zero-shot figures.
#include <climits>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

namespace cagcl::eval {

// Empty when the file is missing or no step line carries the field. Lines that do not parse (a killed run can
// leave a torn last line) or longer than 64 KiB (no step line is) are skipped; IoError when it cannot be read.
// Only steps <= `up_to_step` count (a checkpoint of step N saw steps 1..N).
std::map<std::string, int64_t> trained_instances(const std::filesystem::path& metrics_jsonl,
                                                 int64_t up_to_step = INT64_MAX);

}  // namespace cagcl::eval
