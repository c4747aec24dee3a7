#pragma once
// Where `cagcl` finds the data files it reads at run time (configs/*.yaml: the anatomy mapping, the keyword
// lexicon, the Rad-ChestCT label map, the prompt templates). Installed (`cmake --install`, docs/building.md) they
// lie at <exe dir>/../share/cagcl/, found relative to the binary, so a moved prefix still works. A binary run
// from the build directory it was linked in looks in the source tree it was built from instead, so that it works
// before installation; nothing else reaches into the source tree.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace cagcl {

// The running executable (/proc/self/exe); empty when it cannot be read.
std::filesystem::path current_executable();

// The folders searched for data files, in order, for the binary at `executable`: its installed data folder
// (<exe dir>/../share/cagcl), then the source tree when `executable` lies in the build directory.
std::vector<std::filesystem::path> data_file_roots(const std::filesystem::path& executable);

// `relative` (e.g. "configs/anatomy_lexicon.yaml") under the first root that has it; nullopt when none has.
std::optional<std::filesystem::path> find_data_file(const std::string& relative,
                                                    const std::filesystem::path& executable = current_executable());

// As find_data_file, but an IoError naming every path searched (and `hint`: the flag that gives the file) when
// none has it.
std::filesystem::path require_data_file(const std::string& relative, const std::string& hint,
                                        const std::filesystem::path& executable = current_executable());

}  // namespace cagcl
