#pragma once
// NIfTI-1/2 volumes (.nii and .nii.gz) through the NIfTI reference library (nifti_clib's nifti2_io, Debian
// libnifti2-dev). NIfTI files are untrusted input: the header is read and checked (rank, sizes, datatype,
// spacing) before any voxel is allocated, and a file whose voxels cannot be read (truncated, corrupt gzip)
// is a DataError naming the file.
//
// Voxel order: NIfTI stores i (x) fastest, then j, then k, so the buffer is a C-order array [nz][ny][nx].
#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace cagcl::data::nifti {

// Row-major 4x4: (x, y, z, 1) = M (i, j, k, 1), NIfTI's RAS+ world coordinates in mm.
using Matrix4 = std::array<std::array<double, 4>, 4>;

Matrix4 identity4();

// Voxel types this reader accepts (CT intensities and label maps).
enum class VoxelType { u8, i8, i16, u16, i32, u32, f32, f64 };
std::string to_string(VoxelType);

struct NiftiHeader {
  std::array<int64_t, 3> dims{0, 0, 0};   // nx, ny, nz
  std::array<double, 3> pixdim{1, 1, 1};  // dx, dy, dz (mm)
  VoxelType type = VoxelType::i16;
  double scl_slope = 0;  // 0 = no scaling stored
  double scl_inter = 0;
  int qform_code = 0;  // 0 = no qform
  int sform_code = 0;  // 0 = no sform
  Matrix4 qform = identity4();
  Matrix4 sform = identity4();

  int64_t voxels() const { return dims[0] * dims[1] * dims[2]; }
  // The voxel-to-world transform NIfTI readers use: sform when set, else qform when set, else
  // diag(pixdim) (NIfTI's "method 1" fallback). `which` says "sform", "qform" or "pixdim".
  Matrix4 best_affine(std::string* which = nullptr) const;
};

// gzip (deflate) expands at most ~1032:1: a .nii.gz declaring more voxel bytes than this many times its size
// cannot hold them, and is refused before the voxels are allocated.
inline constexpr uint64_t kMaxGzipRatio = 1032;

// Limits on what a file may declare before anything is allocated. Beyond them, the voxel bytes must fit the
// file (a .nii its size, a .nii.gz kMaxGzipRatio times it).
struct NiftiLimits {
  int64_t max_dim = 4096;
  int64_t max_voxels = int64_t{1} << 31;
  // The memory cap: voxel bytes as stored. 2 GiB is a 1024 x 1024 x 1024 int16 volume, several times a chest
  // CT; stored_as_float() needs 4 bytes per voxel more.
  uint64_t max_bytes = uint64_t{2} << 30;
  // Inflate a .gz file to its end first, so that gzip's CRC-32 and length trailer are checked: the NIfTI
  // library reads exactly the voxel bytes and stops before the trailer, so a flipped bit inside a deflate
  // block could otherwise pass unnoticed. Costs one extra inflate pass.
  bool check_gzip_trailer = true;
};

// Owns one nifti_image (RAII: nifti_image_free).
class NiftiImage {
 public:
  // Reads and checks the header, then loads the voxels. DataError naming the file: not NIfTI, more than 3
  // dimensions (a 4th of size 1 is accepted), a size out of the limits, an unsupported datatype, a
  // non-finite or non-positive spacing, unreadable voxel data (truncated file, corrupt gzip).
  // IoError when the file does not exist.
  static NiftiImage read(const std::filesystem::path& path, const NiftiLimits& limits = {});
  // Header only (no voxel is read): cheap checks of a whole dataset.
  static NiftiHeader read_header(const std::filesystem::path& path, const NiftiLimits& limits = {});

  NiftiImage(NiftiImage&&) noexcept;
  NiftiImage& operator=(NiftiImage&&) noexcept;
  ~NiftiImage();

  const NiftiHeader& header() const { return header_; }
  const std::filesystem::path& path() const { return path_; }

  // The stored values (NIfTI's scl_slope/scl_inter are NOT applied), [nz][ny][nx].
  std::vector<float> stored_as_float() const;
  // A label map: integer voxels, each in [0, 255]; DataError naming the file and the first bad value.
  std::vector<uint8_t> as_labels() const;

 private:
  struct Free {
    void operator()(void* image) const;
  };
  NiftiImage() = default;
  std::filesystem::path path_;
  NiftiHeader header_;
  std::unique_ptr<void, Free> image_;  // nifti_image*, kept opaque so that callers need no NIfTI header
};

// What write_nifti stores besides the voxels.
struct NiftiWriteSpec {
  std::array<int64_t, 3> dims{0, 0, 0};  // nx, ny, nz
  VoxelType type = VoxelType::i16;       // u8, i16 or u16
  Matrix4 affine = identity4();          // RAS+ voxel-to-world; written as both qform and sform (code 1)
  double scl_slope = 0;                  // stored as is (0 = none)
  double scl_inter = 0;
  std::string description;  // NIfTI `descrip`, at most 79 bytes kept
};

// Writes a NIfTI-1 file, gzip-compressed when the name ends in ".gz". Atomic: a temporary sibling is written,
// fsynced and renamed over `path`. `data` holds dims[0]*dims[1]*dims[2] voxels of `spec.type`, [nz][ny][nx].
void write_nifti(const std::filesystem::path& path, const NiftiWriteSpec& spec, const void* data);

}  // namespace cagcl::data::nifti
