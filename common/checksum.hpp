#pragma once
// SHA-256 of files and buffers, as lower-case hex: the manifest's checksums can be checked by hand with
// `sha256sum`.
#include <filesystem>
#include <string>

namespace cagcl {

std::string sha256_hex(const void* data, size_t size);
// Streams the file; throws IoError naming the path when it cannot be read.
std::string sha256_file(const std::filesystem::path& path);

}  // namespace cagcl
