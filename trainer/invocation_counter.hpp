#pragma once
// The run-owned invocation counter: RUN/invocation holds the number of the last `cagcl train` invocation on
// the run directory. Each invocation takes the next number (1 for a directory without the file, +1 per resume
// or restart) and every metrics.jsonl line carries it, so a reader can drop the steps a resumed run repeats
// (keep, for each step, the line of the highest invocation). Rank 0 only; the trainer broadcasts the number.
#include <cstdint>
#include <filesystem>

namespace cagcl::trainer {

inline constexpr const char* kInvocationFileName = "invocation";

// Reads RUN/invocation (missing: 0), writes the next number atomically and durably (common/atomic_file.hpp),
// returns it. DataError naming the file when it holds anything but a positive integer; IoError when it cannot
// be read or written.
int64_t next_invocation(const std::filesystem::path& run_dir);

}  // namespace cagcl::trainer
