#pragma once
// How many intact instances of each anatomy a run fed to its training losses, read from RUN/metrics.jsonl
// (docs/training.md, "metrics.jsonl"): the step lines' "intact_instances", each step counted once, from the
// line of the highest invocation (steps repeated after a resume are dropped). `cagcl eval` prints it, so an
// anatomy that never trained is visible next to its zero-shot figures.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

namespace cagcl::eval {

// Empty when the file is missing or no step line carries the field. Lines that do not parse (a killed run can
// leave a torn last line) or longer than 64 KiB (no step line is) are skipped; IoError when it cannot be read.
std::map<std::string, int64_t> trained_instances(const std::filesystem::path& metrics_jsonl);

}  // namespace cagcl::eval
