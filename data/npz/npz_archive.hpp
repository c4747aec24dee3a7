#pragma once
// NumPy's .npz files (np.savez / np.savez_compressed): a zip archive of .npy members, read and written with
// libzip (Debian libzip-dev). Archives are untrusted: libzip checks the central directory against the local
// headers (ZIP_CHECKCONS) and each member's CRC-32; a member's declared size is checked, before anything is
// allocated, against what its compressed bytes can inflate to and against the limits (the memory cap).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "data/npz/npy_array.hpp"

namespace cagcl::data::npz {

// Deflate's largest expansion: a stream of maximal-length back-references emits 258 bytes per 2 bits, ~1032
// bytes per compressed byte. A member declaring more than this many times its compressed size is corrupt.
inline constexpr uint64_t kMaxDeflateRatio = 1032;

class NpzArchive {
 public:
  // IoError when the file does not exist; DataError naming it when it is not a readable zip archive.
  static NpzArchive open(const std::filesystem::path& path);

  NpzArchive(NpzArchive&&) noexcept;
  NpzArchive& operator=(NpzArchive&&) noexcept;
  ~NpzArchive();

  // Array names ("ct" for the member "ct.npy"), in archive order.
  std::vector<std::string> array_names() const;
  // DataError naming the file and the array: missing, truncated, bad CRC, malformed .npy.
  NpyArray read(const std::string& array, const NpyLimits& limits = {}) const;

 private:
  struct Close {
    void operator()(void* archive) const;
  };
  NpzArchive() = default;
  std::filesystem::path path_;
  std::unique_ptr<void, Close> zip_;  // zip_t*, opaque so that callers need no libzip header
};

// Writes an .npz of `arrays` (name without ".npy", .npy bytes), deflated when `compress` (as
// np.savez_compressed) or stored (np.savez). Atomic: temporary sibling, fsync, rename.
void write_npz(const std::filesystem::path& path, const std::vector<std::pair<std::string, std::string>>& arrays,
               bool compress);

}  // namespace cagcl::data::npz
