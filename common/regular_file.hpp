#pragma once
// Files from outside are opened only when they are regular files: a directory or a device holds no volume, and
// opening a pipe for reading waits for a writer forever. The error says what the path is instead, so that a
// user who sees "a dangling symbolic link" knows what to fix.
#include <filesystem>

namespace cagcl {

// IoError "PATH: no such file" or "PATH: is KIND, not a regular file" (KIND: a dangling symbolic link, a
// directory, a pipe, a device, a socket) unless `path` is a regular file or a symbolic link to one.
void require_regular_file(const std::filesystem::path& path);

}  // namespace cagcl
