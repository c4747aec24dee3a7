#include "data/convert/file_walk.hpp"

#include <fmt/format.h>

#include "common/error.hpp"

namespace cagcl::data::convert {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void for_each_file_with_suffix(
    const std::filesystem::path& dir, const std::string& suffix,
    const std::function<void(const std::filesystem::path&, const std::string& stem)>& on_file) {
  std::error_code ec;
  std::filesystem::recursive_directory_iterator it(dir, std::filesystem::directory_options::skip_permission_denied, ec);
  if (ec) throw IoError(fmt::format("{}: cannot list: {}", dir.string(), ec.message()));
  // Entries that are not regular files (a dangling link, a directory, a pipe) are handed over too: they are
  // volumes the user has, and the reader names them (common/regular_file.hpp) instead of the volume vanishing.
  for (const auto& entry : it) {
    const std::string name = entry.path().filename().string();
    if (name.size() > suffix.size() && ends_with(name, suffix) && name[0] != '.')
      on_file(entry.path(), name.substr(0, name.size() - suffix.size()));
  }
}

}  // namespace cagcl::data::convert
