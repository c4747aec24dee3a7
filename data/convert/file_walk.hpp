#pragma once
// Finding a public dataset's files: every non-hidden entry below a folder whose name ends in a suffix
// (".nii.gz", ".npz"), handed over with its name without the suffix, the volume name the CSVs use. Entries that
// are not regular files are handed over too, so that reading them fails naming what they are.
#include <filesystem>
#include <functional>
#include <string>

namespace cagcl::data::convert {

bool ends_with(const std::string& s, const std::string& suffix);

// IoError naming `dir` when it cannot be listed.
void for_each_file_with_suffix(
    const std::filesystem::path& dir, const std::string& suffix,
    const std::function<void(const std::filesystem::path&, const std::string& stem)>& on_file);

}  // namespace cagcl::data::convert
