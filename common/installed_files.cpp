#include "common/installed_files.hpp"

#include <system_error>

#include "common/error.hpp"

// CAGCL_DATA_FROM_BIN and CAGCL_BUILD_BIN_DIR are defined for this file only (cmake/install.cmake).
#ifndef CAGCL_DATA_FROM_BIN
#define CAGCL_DATA_FROM_BIN "../share/cagcl"
#endif

namespace cagcl {
namespace {

// `p` with symbolic links resolved as far as it exists; as given when even that fails.
std::filesystem::path resolved(const std::filesystem::path& p) {
  std::error_code ec;
  auto r = std::filesystem::weakly_canonical(p, ec);
  return ec ? p.lexically_normal() : r;
}

}  // namespace

std::filesystem::path current_executable() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path() : exe;
}

std::vector<std::filesystem::path> data_file_roots(const std::filesystem::path& executable) {
  std::vector<std::filesystem::path> roots;
  if (executable.empty()) return roots;
  const auto exe_dir = resolved(executable).parent_path();
  roots.push_back((exe_dir / CAGCL_DATA_FROM_BIN).lexically_normal());
#if defined(CAGCL_BUILD_BIN_DIR) && defined(CAGCL_SOURCE_DIR)
  // Only the binary in its own build directory: an installed copy must not depend on the tree it came from.
  if (exe_dir == resolved(CAGCL_BUILD_BIN_DIR)) roots.push_back(std::filesystem::path(CAGCL_SOURCE_DIR));
#endif
  return roots;
}

std::optional<std::filesystem::path> find_data_file(const std::string& relative,
                                                    const std::filesystem::path& executable) {
  for (const auto& root : data_file_roots(executable)) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(root / relative, ec)) return root / relative;
  }
  return std::nullopt;
}

std::filesystem::path require_data_file(const std::string& relative, const std::string& hint,
                                        const std::filesystem::path& executable) {
  if (auto found = find_data_file(relative, executable)) return *found;
  std::string searched;
  for (const auto& root : data_file_roots(executable))
    searched += (searched.empty() ? "" : ", ") + (root / relative).string();
  if (searched.empty()) searched = "nothing (/proc/self/exe is unreadable)";
  throw IoError(relative + " not found; searched " + searched + ". Give " + hint +
                " FILE, or install cagcl (cmake --install BUILD --prefix P puts it in P/share/cagcl)");
}

}  // namespace cagcl
