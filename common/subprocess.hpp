#pragma once
// Starting a program without a shell: fork/exec with an argument vector, so no user string (a path with a quote,
// a job id) is ever parsed as a command.
#include <filesystem>
#include <string>
#include <vector>

namespace cagcl {

// Runs argv[0] (looked up in PATH) with argv and waits for it. `output`: when not empty, the file (created or
// truncated) that receives its stdout and stderr. Returns the exit status; -1 with a message in `error` when
// it could not be started or ended by a signal (127: not found, also with a message).
int run_program(const std::vector<std::string>& argv, std::string& error, const std::filesystem::path& output = {});

}  // namespace cagcl
