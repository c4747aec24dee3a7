#pragma once
// Durable file replacement: the manifest and finished shards must never be seen half-written.
#include <filesystem>
#include <string>

namespace cagcl::data {

void fsync_path(const std::filesystem::path& path);  // a file or a directory; IoError naming it
// Renames `from` to `to`, then fsyncs the directory, so the new name survives a crash.
void durable_rename(const std::filesystem::path& from, const std::filesystem::path& to);
// Writes `text` to "<path>.tmp", fsyncs, renames onto `path`, fsyncs the directory.
void atomic_write_text(const std::filesystem::path& path, const std::string& text);

}  // namespace cagcl::data
