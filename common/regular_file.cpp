#include "common/regular_file.hpp"

#include <string>

#include "common/error.hpp"

namespace cagcl {
namespace {

// "" for a regular file, else what follows "PATH: " in the error.
std::string what_it_is(const std::filesystem::path& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  switch (fs::status(path, ec).type()) {  // follows links
    case fs::file_type::regular: return "";
    case fs::file_type::not_found:
      return fs::is_symlink(fs::symlink_status(path, ec)) ? "is a dangling symbolic link, not a regular file"
                                                          : "no such file";
    case fs::file_type::directory: return "is a directory, not a regular file";
    case fs::file_type::fifo: return "is a pipe, not a regular file";
    case fs::file_type::block:
    case fs::file_type::character: return "is a device, not a regular file";
    case fs::file_type::socket: return "is a socket, not a regular file";
    default: return "not a regular file";
  }
}

}  // namespace

void require_regular_file(const std::filesystem::path& path) {
  const std::string what = what_it_is(path);
  if (!what.empty()) throw IoError(path.string() + ": " + what);
}

}  // namespace cagcl
