#include "common/regular_file.hpp"

#include "common/error.hpp"

namespace cagcl {

std::string non_regular_file_kind(const std::filesystem::path& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status target = fs::status(path, ec);  // follows links
  switch (target.type()) {
    case fs::file_type::regular: return "";
    case fs::file_type::not_found:
      return fs::is_symlink(fs::symlink_status(path, ec)) ? "a dangling symbolic link" : "no such file";
    case fs::file_type::directory: return "a directory";
    case fs::file_type::fifo: return "a pipe";
    case fs::file_type::block:
    case fs::file_type::character: return "a device";
    case fs::file_type::socket: return "a socket";
    default: return "not a regular file";
  }
}

void require_regular_file(const std::filesystem::path& path) {
  const std::string kind = non_regular_file_kind(path);
  if (kind.empty()) return;
  if (kind == "no such file" || kind == "not a regular file") throw IoError(path.string() + ": " + kind);
  throw IoError(path.string() + ": is " + kind + ", not a regular file");
}

}  // namespace cagcl
